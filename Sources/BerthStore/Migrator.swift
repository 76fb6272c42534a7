import BerthCore
import GRDB
import Migrations

/// Applies the numbered SQL files in order, one transaction each, recording the schema
/// version in `PRAGMA user_version`.
public enum Migrator {
    /// The message for a database written by a newer berth.
    public static func newerMessage(found: Int, supported: Int = SchemaMigrations.latest) -> String {
        "database schema version \(found) was written by a newer berth; this berth supports up to version \(supported): upgrade berth or use another --root"
    }

    /// Brings the schema to the newest version this binary knows; refuses a newer database.
    public static func migrate(
        _ writer: any DatabaseWriter,
        migrations: [(version: Int, name: String, sql: String)] = SchemaMigrations.all
    ) throws {
        let latest = migrations.last?.version ?? 0
        let current = try writer.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        if current > latest {
            throw BerthError(.unsupported, newerMessage(found: current, supported: latest))
        }
        for m in migrations where m.version > current {
            do {
                try writer.write { db in
                    try db.execute(sql: m.sql)
                    try db.execute(sql: "PRAGMA user_version = \(m.version)")
                }
            } catch {
                throw BerthError.internal("migration \(m.name) failed: \(error)")
            }
        }
    }

    /// The schema version of an open database.
    public static func version(_ reader: any DatabaseReader) throws -> Int {
        try reader.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }
}

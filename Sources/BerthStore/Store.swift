import BerthCore
import Foundation
import GRDB
import Migrations

/// berth's SQLite database. berthd opens it for writing (and migrates it); the CLI opens it
/// for queries only.
public final class Store: Sendable {
    /// The database connection(s): a pool in berthd, a single query-only connection in the CLI.
    public let db: any DatabaseWriter
    public let path: String

    init(db: any DatabaseWriter, path: String) {
        self.db = db
        self.path = path
    }

    static func configuration(readOnly: Bool) -> Configuration {
        var c = Configuration()
        c.foreignKeysEnabled = true
        c.busyMode = .timeout(10)
        c.label = readOnly ? "berth-query" : "berthd"
        // SQLITE_OPEN_READONLY: the CLI's connection cannot write, whatever it runs.
        c.readonly = readOnly
        if !readOnly {
            c.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        }
        return c
    }

    /// Opens (creating it if needed) the database for berthd and applies pending migrations.
    public static func openForWriting(path: String) throws -> Store {
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration(readOnly: false))
        } catch {
            throw BerthError.internal("cannot open database \(path): \(error)")
        }
        let store = Store(db: pool, path: path)
        try store.migrate()
        return store
    }

    /// Opens an existing database for queries, read-only.
    public static func openForQuery(path: String) throws -> Store {
        guard FileOps.exists(path) else {
            throw BerthError(.unavailable, "no berth database at \(path): start berthd first (berthd --root \((path as NSString).deletingLastPathComponent))")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration(readOnly: true))
        } catch {
            throw BerthError.internal("cannot open database \(path): \(error)")
        }
        let version = try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        if version > SchemaMigrations.latest {
            throw BerthError(.unsupported, Migrator.newerMessage(found: version))
        }
        if version < SchemaMigrations.latest {
            throw BerthError(.unavailable, "database \(path) has schema version \(version), this berth needs \(SchemaMigrations.latest): start berthd to upgrade it")
        }
        return Store(db: queue, path: path)
    }

    /// Runs a read.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.read(body) } catch let e as BerthError { throw e } catch {
            throw BerthError.internal("database: \(error)")
        }
    }

    /// Runs a write in one transaction: a state change and its events land together or not at all.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.write(body) } catch let e as BerthError { throw e } catch {
            throw BerthError.internal("database: \(error)")
        }
    }

    func migrate() throws {
        try Migrator.migrate(db)
    }
}

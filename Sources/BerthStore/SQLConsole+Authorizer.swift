import Foundation
import GRDB
import GRDBSQLite

extension SQLConsole {
    /// What `berth sql` may read of the real tables: exactly the (table, column) pairs the
    /// documented views read, recorded by preparing each view once. Any other read of the
    /// main schema (`main.containers.config_json`, a CTE over a raw table, sqlite_master) is
    /// refused by SQLite itself, whatever the statement's shape.
    final class ReadGate: @unchecked Sendable {
        // @unchecked: touched only on the connection's own thread, inside SQLite's callback.
        var recording = true
        var allowed: Set<String> = []

        func authorize(
            _ action: Int32, _ a: UnsafePointer<CChar>?, _ b: UnsafePointer<CChar>?,
            _ schema: UnsafePointer<CChar>?
        ) -> Int32 {
            switch action {
            case SQLITE_ATTACH, SQLITE_DETACH:
                return recording ? SQLITE_OK : SQLITE_DENY
            case SQLITE_READ:
                guard let schema, String(cString: schema) == "main" else { return SQLITE_OK }
                let table = a.map { String(cString: $0) } ?? ""
                let column = b.map { String(cString: $0) } ?? ""
                let key = table + "." + column
                if recording { allowed.insert(key); return SQLITE_OK }
                // An empty column is a row count (count(*)): no data.
                return column.isEmpty || allowed.contains(key) ? SQLITE_OK : SQLITE_DENY
            default:
                return SQLITE_OK
            }
        }
    }

    /// Installs the gate on `db` after recording what the views read.
    static func installReadGate(_ db: Database) throws -> ReadGate {
        let gate = ReadGate()
        let box = Unmanaged.passUnretained(gate).toOpaque()
        sqlite3_set_authorizer(
            db.sqliteConnection,
            { box, action, a, b, schema, _ in
                Unmanaged<ReadGate>.fromOpaque(box!).takeUnretainedValue().authorize(action, a, b, schema)
            }, box)
        for v in views { _ = try db.makeStatement(sql: "SELECT * FROM temp.\(v.name)") }
        gate.recording = false
        return gate
    }
}

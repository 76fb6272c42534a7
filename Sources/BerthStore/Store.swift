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
    /// True when this open created the database (none, or an empty file, was there): start-up
    /// cleaning then keeps what it finds rather than deleting it.
    public let wasCreated: Bool
    /// Room freed for a write when the disk is full (berthd's store only).
    public let reserve: DiskReserve?

    init(db: any DatabaseWriter, path: String, wasCreated: Bool = false, reserve: DiskReserve? = nil) {
        self.db = db
        self.path = path
        self.wasCreated = wasCreated
        self.reserve = reserve
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
    public static func openForWriting(path: String, reserve: DiskReserve? = nil) throws -> Store {
        let wasCreated = FileOps.size(path) <= 0
        try RootPermissions.prepareDatabase(path)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration(readOnly: false))
        } catch {
            throw BerthError(.corrupt, damagedMessage(path, "\(error)"))
        }
        // A damaged database is never served: what berthd would write on top of it, and what
        // start-up cleaning would delete for want of rows, could not be undone.
        let verdict: [String]
        do {
            verdict = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        } catch {
            throw BerthError(.corrupt, damagedMessage(path, "\(error)"))
        }
        guard verdict == ["ok"] else {
            throw BerthError(.corrupt, damagedMessage(path, verdict.prefix(3).joined(separator: "; ")))
        }
        let store = Store(db: pool, path: path, wasCreated: wasCreated, reserve: reserve)
        try store.makeVacuumable()
        try store.migrate()
        return store
    }

    /// Pages freed by deletions go back to the file system only with `auto_vacuum`: set to
    /// INCREMENTAL, which an existing file takes only through one full VACUUM (once, at the
    /// first start of a berthd that knows this; a new file takes it before its first table).
    func makeVacuumable() throws {
        let mode = try db.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0 }
        guard mode != 2 else { return }
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
        }
    }

    /// Gives free pages back to the file system after big deletions (prunes); returns the bytes.
    @discardableResult
    public func reclaimSpace() -> Int64 {
        (try? db.writeWithoutTransaction { db -> Int64 in
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            guard free > 0 else { return 0 }
            try db.execute(sql: "PRAGMA incremental_vacuum")
            // The WAL holds the shrunk pages until a checkpoint writes them and truncates.
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            return free * pageSize
        }) ?? 0
    }

    /// What berthd says of a database it will not open.
    static func damagedMessage(_ path: String, _ detail: String) -> String {
        "database \(path) is damaged (\(detail)); berthd will not serve it. Restore a copy made with `berth system backup`, or recover what SQLite can: sqlite3 \(path) .recover | sqlite3 \(path).recovered, check it, then move it in place of \(path)"
    }

    /// Folds the WAL into the database file and empties it: at clean shutdown and now and
    /// then, so a lost -wal file costs little.
    public func checkpoint() {
        _ = try? db.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// A consistent copy of the database, taken while berthd runs (SQLite's online backup),
    /// written next to `destination` and renamed over it; mode 0600.
    public func backup(to destination: String) throws {
        let tmp = destination + ".tmp-" + Identifier.random().prefix(8)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BerthError.posix("create \(tmp)") }
        close(fd)
        do {
            let target = try DatabaseQueue(path: tmp)
            try db.backup(to: target)
            try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
            guard rename(tmp, destination) == 0 else { throw BerthError.posix("rename \(tmp) to \(destination)") }
        } catch {
            unlink(tmp)
            throw BerthError.from(error)
        }
    }

    /// A migrated database in memory (tests and the fuzzer).
    public static func openInMemory() throws -> Store {
        let queue = try DatabaseQueue(configuration: configuration(readOnly: false))
        let store = Store(db: queue, path: ":memory:")
        try store.migrate()
        return store
    }

    /// Opens an existing database for queries, read-only.
    public static func openForQuery(path: String) throws -> Store {
        try checkReadable(path)
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
            throw BerthError(
                .unavailable, "database \(path) has schema version \(version), this berth needs \(SchemaMigrations.latest): start berthd to upgrade it")
        }
        return Store(db: queue, path: path)
    }

    /// Says "permission denied", not "not running", to a user who may not read the database.
    public static func checkReadable(_ path: String) throws {
        if access(path, R_OK) != 0 && (errno == EACCES || errno == EPERM) {
            throw BerthError(.permissionDenied, RootPermissions.deniedMessage("cannot read \(path)"))
        }
    }

    /// Runs a read.
    public func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try readDB { db in try body(StoreTransaction(db)) }
    }

    /// Runs a write in one transaction: a state change and its events land together or not at all.
    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try writeDB { db in try body(StoreTransaction(db)) }
    }

    /// A read on GRDB's connection, for BerthStore's own code.
    func readDB<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.read(body) } catch let e as BerthError { throw e } catch {
            throw BerthError.internal("database: \(error)")
        }
    }

    /// A write on GRDB's connection, for BerthStore's own code.
    func writeDB<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.write(body) } catch let e as BerthError { throw e } catch let e as DatabaseError where e.resultCode == .SQLITE_FULL {
            // A full disk: free the reserve and try once more, so the write that frees space
            // (a stop, an rm, a prune) still commits.
            if reserve?.release() == true {
                do { return try db.write(body) } catch let e as BerthError { throw e } catch {
                    throw BerthError.internal("database: \(error)")
                }
            }
            throw BerthError.internal("database: \(e)")
        } catch {
            throw BerthError.internal("database: \(error)")
        }
    }

    func migrate() throws {
        try Migrator.migrate(db)
    }
}

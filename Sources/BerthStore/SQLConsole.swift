import BerthCore
import Foundation
import GRDB

/// `berth sql`: read-only SQL over documented views. The views are TEMP views named like
/// the tables they present, so unqualified names reach them first; the connection is opened
/// read-only and switched to `query_only` before the user's text runs, so nothing can write;
/// an authorizer lets it read only the columns the views show (`SQLConsole+Authorizer`).
public enum SQLConsole {
    /// The views and what they show (the README documents them).
    public static let views: [(name: String, sql: String)] = [
        (
            "containers",
            """
            SELECT id, name, image_ref AS image, image_id, command, state, exit_code, oom_killed, error,
                   \(time("created_at")) AS created, \(time("started_at")) AS started, \(time("finished_at")) AS finished,
                   restart_policy, restart_count, auto_remove, health_status, pid,
                   (SELECT json_group_object(key, value) FROM main.container_labels l WHERE l.container_id = c.id) AS labels
            FROM main.containers c
            """
        ),
        (
            "events",
            """
            SELECT id, \(time("time_ns")) AS time, time_ns, type, action, actor_id, actor_name, attributes FROM main.events
            """
        ),
        (
            "runs",
            """
            SELECT id, container_id, container_name, image, \(time("started_at")) AS started, \(time("finished_at")) AS finished,
                   exit_code, oom_killed, end_reason AS ended_by,
                   CASE WHEN finished_at IS NULL THEN NULL ELSE (finished_at - started_at) / 1e9 END AS seconds, boot_id,
                   addresses, ports
            FROM main.runs
            """
        ),
        (
            "images",
            """
            SELECT id, (SELECT group_concat(name, ' ') FROM main.tags t WHERE t.image_id = i.id) AS tags,
                   \(time("created")) AS created, \(time("added_at")) AS added, size, architecture, os,
                   (SELECT count(*) FROM main.image_layers il WHERE il.image_id = i.id) AS layers, parent_id AS parent
            FROM main.images i
            """
        ),
        (
            "layers",
            """
            SELECT chain_id, diff_id, parent_chain_id, blob_digest, size, \(time("created_at")) AS created,
                   (SELECT count(*) FROM main.image_layers il WHERE il.chain_id = l.chain_id) AS images
            FROM main.layers l
            """
        ),
        (
            "pulls",
            """
            SELECT id, reference, registry, digest, image_id, bytes_fetched, bytes_reused, \(time("started_at")) AS started,
                   seconds, outcome
            FROM main.pulls
            """
        ),
        (
            "builds",
            """
            SELECT id, image_id, tags, dockerfile, context_digest, context_size, target, steps, cache_hits, cache_misses,
                   \(time("started_at")) AS started, seconds, outcome
            FROM main.builds
            """
        ),
        (
            "ports",
            """
            SELECT p.container_id, c.name AS container_name, p.host_ip, p.host_port, p.container_port, p.protocol
            FROM main.port_mappings p JOIN main.containers c ON c.id = p.container_id
            """
        ),
        (
            "mounts",
            """
            SELECT m.container_id, c.name AS container_name, m.type, m.source, m.destination, m.volume_name AS volume,
                   m.read_only
            FROM main.mounts m JOIN main.containers c ON c.id = m.container_id
            """
        ),
    ]

    static func time(_ column: String) -> String {
        "strftime('%Y-%m-%dT%H:%M:%SZ', \(column) / 1000000000, 'unixepoch')"
    }

    public struct Result: Sendable {
        public var columns: [String]
        public var rows: [[SQLValue]]
    }

    /// Runs one statement; SQLite's own message on error.
    public static func run(path: String, _ sql: String) throws -> Result {
        try Store.checkReadable(path)
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        let queue: DatabaseQueue
        do { queue = try DatabaseQueue(path: path, configuration: config) } catch {
            throw BerthError(.unavailable, "cannot open \(path): \(error)")
        }
        return try queue.inDatabase { db in
            for v in views { try db.execute(sql: "CREATE TEMP VIEW \(v.name) AS \(v.sql)") }
            try db.execute(sql: "PRAGMA query_only = 1")
            let gate = try installReadGate(db)
            defer { withExtendedLifetime(gate) {} }
            do {
                let statement = try db.makeStatement(sql: sql)
                // SQLite's own verdict: anything that could change a database is refused.
                // A PRAGMA assignment writes nothing but would undo query_only: refused too.
                let setsPragma = sql.range(of: #"^\s*PRAGMA\s+[\w.]+\s*="#, options: [.regularExpression, .caseInsensitive]) != nil
                guard statement.isReadonly && !setsPragma else {
                    throw BerthError.invalid("berth sql runs read-only statements only")
                }
                let columns = statement.columnNames
                let rows = try Row.fetchAll(statement).map { r in r.databaseValues }
                return Result(columns: columns, rows: rows.map { $0.map(SQLValue.init) })
            } catch let e as DatabaseError {
                throw BerthError.invalid(e.message ?? "\(e)")
            }
        }
    }
}

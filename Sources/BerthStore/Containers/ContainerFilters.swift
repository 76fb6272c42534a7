import BerthAPI
import BerthCore
import Foundation
import GRDB
import GRDBSQLite

/// `ps` filters (Docker's keys and rules) as one SQL query over indexed columns: values of
/// one key are alternatives (OR), different keys must all hold (AND).
public struct ContainerListQuery: Sendable {
    public var all = false
    public var filters: [String: [String]] = [:]
    /// `-n N`: the N most recently created (any state).
    public var last: Int?
    /// `--at`: the host as it was then (history), not as it is.
    public var at: HostAt?

    public init(all: Bool = false, filters: [String: [String]] = [:], last: Int? = nil) {
        self.all = all
        self.filters = filters
        self.last = last
    }

    public static let keys: Set<String> = [
        "id", "name", "label", "exited", "status", "ancestor", "before", "since",
        "volume", "network", "publish", "expose", "health", "isolation", "is-task",
    ]
    public static let states: Set<String> = Set(ContainerState.allCases.map(\.rawValue))

    /// The WHERE clause and its arguments. `images` resolves an `ancestor` value to image ids.
    public func whereClause(_ tx: StoreTransaction, images: (String) throws -> [String]) throws -> (String, [any DatabaseValueConvertible]) {
        let db = tx.db
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        for key in filters.keys where !Self.keys.contains(key) {
            throw BerthError.invalid("invalid filter '\(key)'")
        }
        func anyOf(_ values: [String], _ one: (String) throws -> String?) rethrows {
            let parts = try values.compactMap(one)
            if !parts.isEmpty { clauses.append("(" + parts.joined(separator: " OR ") + ")") }
        }
        // Docker matches id and name as patterns; berth takes ^ and $ anchors, else a substring.
        func pattern(_ column: String, _ v: String) -> String {
            var p = v
            let start = p.hasPrefix("^"), end = p.hasSuffix("$") && p.count > (start ? 1 : 0)
            if start { p.removeFirst() }
            if end { p.removeLast() }
            let escaped = p.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            args.append((start ? "" : "%") + escaped + (end ? "" : "%"))
            return "\(column) LIKE ? ESCAPE '\\'"
        }
        var includeStopped = all || last != nil
        if let v = filters["id"] { anyOf(v) { pattern("c.id", $0) } }
        if let v = filters["name"] { anyOf(v) { pattern("c.name", $0.hasPrefix("/") ? String($0.dropFirst()) : $0) } }
        if let v = filters["label"] {
            // Each label filter must hold on its own (Docker ANDs them).
            for l in v {
                let kv = try KeyValue.parseFilter(l, what: "label filter")
                if let value = kv.value {
                    clauses.append("EXISTS (SELECT 1 FROM container_labels l WHERE l.container_id = c.id AND l.key = ? AND l.value = ?)")
                    args += [kv.key, value]
                } else {
                    clauses.append("EXISTS (SELECT 1 FROM container_labels l WHERE l.container_id = c.id AND l.key = ?)")
                    args.append(kv.key)
                }
            }
        }
        if let v = filters["exited"] {
            try anyOf(v) { x in
                guard let code = Int64(x) else { throw BerthError.invalid("invalid filter 'exited=\(x)'") }
                args.append(code)
                return "(c.state = 'exited' AND c.exit_code = ?)"
            }
        }
        if let v = filters["status"] {
            includeStopped = true
            try anyOf(v) { s in
                guard Self.states.contains(s) else {
                    throw BerthError.invalid("invalid filter 'status=\(s)'")
                }
                args.append(s)
                return "c.state = ?"
            }
        }
        if let v = filters["health"] {
            try anyOf(v) { h in
                guard ["starting", "healthy", "unhealthy", "none"].contains(h) else {
                    throw BerthError.invalid("Unrecognised filter value for health: \(h)")
                }
                if h == "none" { return "c.health_status IS NULL" }
                args.append(h)
                return "c.health_status = ?"
            }
        }
        if let v = filters["ancestor"] {
            try anyOf(v) { ref in
                let ids = try images(ref)
                args.append(ref)
                var c = "c.image_ref = ?"
                if !ids.isEmpty {
                    c += " OR c.image_id IN (" + ids.map { _ in "?" }.joined(separator: ",") + ")"
                    args += ids
                }
                return "(" + c + ")"
            }
        }
        for (key, op) in [("before", "<"), ("since", ">")] {
            guard let v = filters[key] else { continue }
            for ref in v {
                let other = try ContainerQueries.resolve(tx, ref)
                clauses.append("c.created_at \(op) ?")
                args.append(other.createdAt)
                if key == "since" || key == "before" { includeStopped = true }
            }
        }
        if let v = filters["volume"] {
            anyOf(v) { x in
                args += [x, x, x]
                return "EXISTS (SELECT 1 FROM mounts m WHERE m.container_id = c.id AND (m.volume_name = ? OR m.destination = ? OR m.source = ?))"
            }
        }
        if let v = filters["network"] {
            // none and host are modes of HostConfig; other networks are attachments.
            anyOf(v) { n in
                args += [n, n, n, n]
                return """
                    (json_extract(c.host_config_json, '$.NetworkMode') = ? \
                    OR (? = 'none' AND json_extract(c.host_config_json, '$.NetworkMode') IS NULL) \
                    OR EXISTS (SELECT 1 FROM network_attachments a JOIN networks n ON n.id = a.network_id \
                    WHERE a.container_id = c.id AND (n.name = ? OR n.id LIKE ? || '%')))
                    """
            }
        }
        for (key, column) in [("publish", "host_port"), ("expose", "container_port")] {
            guard let v = filters[key] else { continue }
            try anyOf(v) { p in
                let parts = p.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard let port = Int(parts[0]), (0...65535).contains(port),
                    parts.count == 1 || ["tcp", "udp", "sctp"].contains(parts[1])
                else {
                    throw BerthError.invalid("invalid filter '\(key)=\(p)'")
                }
                args += [port, parts.count > 1 ? parts[1] : "tcp"]
                return "EXISTS (SELECT 1 FROM port_mappings pm WHERE pm.container_id = c.id AND pm.\(column) = ? AND pm.protocol = ?)"
            }
        }
        if let v = filters["is-task"], v.contains("true") { clauses.append("0") }
        if let v = filters["isolation"], !v.allSatisfy({ $0 == "default" || $0.isEmpty }) { clauses.append("0") }
        if !includeStopped { clauses.append("c.state IN \(ContainerState.sqlList(ContainerState.live))") }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), args)
    }

    /// The matching containers, newest first.
    public func run(_ tx: StoreTransaction, images: (String) throws -> [String]) throws -> [ContainerRecord] {
        let db = tx.db
        let (w, args) = try whereClause(tx, images: images)
        var sql = (at?.prefix ?? "") + "SELECT c.* FROM containers c WHERE \(w) ORDER BY c.created_at DESC, c.id"
        if let last { sql += " LIMIT \(max(0, last))" }
        return try Row.fetchAll(db, sql: sql, arguments: arguments(args)).map(ContainerRecord.init)
    }

    /// The filter's arguments, after the moment's when the query looks back in time.
    func arguments(_ args: [any DatabaseValueConvertible]) -> StatementArguments {
        at?.arguments(args) ?? StatementArguments(args.map { $0.databaseValue })
    }
}

extension ContainerQueries {
    /// Labels of many containers in one query.
    public static func labels(_ tx: StoreTransaction, ids: [String]) throws -> [String: [String: String]] {
        let db = tx.db
        var out: [String: [String: String]] = [:]
        guard !ids.isEmpty else { return out }
        if ids.count > 500 {
            for r in try Row.fetchAll(db, sql: "SELECT container_id, key, value FROM container_labels") {
                out[r[0], default: [:]][r[1]] = r[2]
            }
            return out
        }
        let marks = ids.map { _ in "?" }.joined(separator: ",")
        for r in try Row.fetchAll(
            db, sql: "SELECT container_id, key, value FROM container_labels WHERE container_id IN (\(marks))",
            arguments: StatementArguments(ids))
        {
            out[r[0], default: [:]][r[1]] = r[2]
        }
        return out
    }

    /// Published ports by container, Docker's PORTS text: `0.0.0.0:8080->80/tcp, 443/tcp`.
    public static func portsText(_ tx: StoreTransaction) throws -> [String: String] {
        let db = tx.db
        var out: [String: [String]] = [:]
        // A published port shows while it is held — its container runs (a fixed port stays
        // recorded on a container that is not running, or whose start could not bind it); an
        // exposed one always (Docker's PORTS).
        let sql = """
            SELECT p.container_id, p.host_ip, p.host_port, p.container_port, p.protocol FROM port_mappings p
            WHERE p.published = 0 OR (p.host_port IS NOT NULL AND EXISTS (
                SELECT 1 FROM containers c WHERE c.id = p.container_id AND c.state IN \(ContainerState.sqlList(ContainerState.runningStates))))
            ORDER BY p.container_port, p.protocol, p.host_ip
            """
        for r in try Row.fetchAll(db, sql: sql) {
            let id: String = r[0], ip: String = r[1], hp: Int? = r[2], cp: Int = r[3], proto: String = r[4]
            out[id, default: []].append(hp.map { "\(ip.isEmpty ? "0.0.0.0" : ip.contains(":") ? "[\(ip)]" : ip):\($0)->\(cp)/\(proto)" } ?? "\(cp)/\(proto)")
        }
        return out.mapValues { $0.joined(separator: ", ") }
    }

    /// Mount names for `{{.Mounts}}`: volume names, else sources.
    public static func mountNames(_ tx: StoreTransaction) throws -> [String: String] {
        let db = tx.db
        var out: [String: [String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT container_id, volume_name, source, destination FROM mounts ORDER BY container_id, position") {
            let id: String = r[0]
            let name: String? = r[1]
            let source: String? = r[2]
            out[id, default: []].append(name ?? source ?? (r[3] as String))
        }
        return out.mapValues { $0.joined(separator: ",") }
    }
}

extension ContainerQueries {
    /// The rows of the given ids (at most a few hundred per call: SQLite's variable limit).
    public static func records(_ tx: StoreTransaction, ids: [String]) throws -> [ContainerRecord] {
        let db = tx.db
        return  // In chunks: SQLite takes a bounded number of variables.
            try ContainerStore.chunks(ids).flatMap { c in
                try Row.fetchAll(db, sql: "SELECT * FROM containers WHERE id IN (\(ContainerStore.marks(c.count)))", arguments: StatementArguments(c))
                    .map(ContainerRecord.init)
            }
    }
}

/// The columns of `ps`' default table, read without the JSON configs (10,000 rows in a few ms).
public struct PsRow: Sendable {
    public var id: String
    public var name: String
    public var image: String
    public var command: String
    public var state: String
    public var exitCode: Int64?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var health: String?
}

extension ContainerListQuery {
    public func runLean(_ tx: StoreTransaction, images: (String) throws -> [String]) throws -> [PsRow] {
        let db = tx.db
        let (w, args) = try whereClause(tx, images: images)
        var sql = (at?.prefix ?? "") + """
            SELECT c.id, c.name, c.image_ref, c.command, c.state, c.exit_code, c.created_at, c.started_at, c.finished_at,
                   c.health_status FROM containers c WHERE \(w) ORDER BY c.created_at DESC, c.id
            """
        if let last { sql += " LIMIT \(max(0, last))" }
        // Stepped by hand: GRDB's generic row reads cost more than SQLite itself at 10,000 rows.
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments(args))
        let s = statement.sqliteStatement
        func text(_ i: Int32) -> String {
            guard let p = sqlite3_column_text(s, i) else { return "" }
            return String(cString: p)
        }
        func int(_ i: Int32) -> Int64? {
            sqlite3_column_type(s, i) == SQLITE_NULL ? nil : sqlite3_column_int64(s, i)
        }
        var out: [PsRow] = []
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            out.append(
                PsRow(
                    id: text(0), name: text(1), image: text(2), command: text(3), state: text(4), exitCode: int(5),
                    createdAt: int(6) ?? 0, startedAt: int(7), finishedAt: int(8),
                    health: sqlite3_column_type(s, 9) == SQLITE_NULL ? nil : text(9)))
        }
        sqlite3_reset(s)
        return out
    }
}

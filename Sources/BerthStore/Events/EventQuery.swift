import BerthCore
import Foundation
import GRDB

/// `events` filters over the persisted history: container, event, image, label, type,
/// volume, network, daemon (Docker's keys; one key's values OR, keys AND).
public struct EventQuery: Sendable {
    public var since: Int64?
    public var until: Int64?
    public var filters: [String: [String]] = [:]
    /// Only events after this row (for following).
    public var afterID: Int64?
    public var limit: Int?

    public init(since: Int64? = nil, until: Int64? = nil, filters: [String: [String]] = [:]) {
        self.since = since
        self.until = until
        self.filters = filters
    }

    static let keys: Set<String> = ["container", "event", "image", "label", "type", "volume", "network", "daemon", "scope"]

    public func validate() throws {
        for k in filters.keys where !Self.keys.contains(k) { throw BerthError.invalid("invalid filter '\(k)'") }
        for l in filters["label"] ?? [] { _ = try KeyValue.parseFilter(l, what: "label filter") }
    }

    public func run(_ tx: StoreTransaction) throws -> [EventRecord] {
        let db = tx.db
        try validate()
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let since { clauses.append("time_ns >= ?"); args.append(since) }
        if let until { clauses.append("time_ns <= ?"); args.append(until) }
        if let afterID { clauses.append("id > ?"); args.append(afterID) }
        func anyOf(_ values: [String], _ one: (String) -> String) {
            clauses.append("(" + values.map(one).joined(separator: " OR ") + ")")
        }
        // An actor by id, id prefix or name (the name outlives the container in history).
        func actor(_ v: String) -> String {
            args += [v, v, v, v + "g"]
            return "(actor_id = ? OR actor_name = ? OR (actor_id >= ? AND actor_id < ?))"
        }
        if let v = filters["container"] {
            // Each way of naming the actor through its own index (id, name, id prefix), each
            // bounded by time inside the index: with a million events, letting the planner pick
            // the time index for a 24 h window reads them all.
            var parts: [String] = []
            var timeSQL = ""
            var timeArgs: [any DatabaseValueConvertible] = []
            if let since { timeSQL += " AND time_ns >= ?"; timeArgs.append(since) }
            if let until { timeSQL += " AND time_ns <= ?"; timeArgs.append(until) }
            for ref in v {
                parts.append("SELECT id FROM events WHERE type = 'container' AND actor_id = ?" + timeSQL)
                args.append(ref); args += timeArgs
                parts.append("SELECT id FROM events WHERE type = 'container' AND actor_name = ?" + timeSQL)
                args.append(ref.hasPrefix("/") ? String(ref.dropFirst()) : ref); args += timeArgs
                if !ref.isEmpty && ref.allSatisfy({ $0.isHexDigit }) && ref.count < 64 {
                    parts.append("SELECT id FROM events WHERE type = 'container' AND actor_id >= ? AND actor_id < ?" + timeSQL)
                    args += [ref, ref + "g"]; args += timeArgs
                }
            }
            // The outer query then walks these rows by rowid (no type test there: it would tempt
            // the planner into the type index, a scan of every container event).
            clauses.append("id IN (" + parts.joined(separator: " UNION ") + ")")
        }
        if let v = filters["volume"] { anyOf(v) { "(type = 'volume' AND " + actor($0) + ")" } }
        if let v = filters["network"] { anyOf(v) { "(type = 'network' AND " + actor($0) + ")" } }
        if let v = filters["daemon"] { anyOf(v) { "(type = 'daemon' AND " + actor($0) + ")" } }
        if let v = filters["type"] {
            anyOf(v) {
                args.append($0); return "type = ?"
            }
        }
        if let v = filters["event"] {
            // exec_create's action carries the command after a colon; the filter names the verb.
            anyOf(v) {
                args += [$0, $0 + ": %"]; return "(action = ? OR action LIKE ?)"
            }
        }
        if let v = filters["image"] {
            anyOf(v) {
                args += [$0, $0, $0]; return "(json_extract(attributes, '$.image') = ? OR (type = 'image' AND (actor_id = ? OR actor_name = ?)))"
            }
        }
        if let v = filters["label"] {
            for l in v {
                let kv = try KeyValue.parseFilter(l, what: "label filter")
                let path = "$.\"" + kv.key.replacingOccurrences(of: "\"", with: "") + "\""
                if let value = kv.value {
                    clauses.append("json_extract(attributes, ?) = ?"); args += [path, value]
                } else {
                    clauses.append("json_extract(attributes, ?) IS NOT NULL"); args.append(path)
                }
            }
        }
        var sql = "SELECT id, time_ns, type, action, actor_id, actor_name, attributes FROM events"
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY time_ns, id"
        if let limit { sql += " LIMIT \(limit)" }
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args.map { $0.databaseValue })).map(EventRecord.init(row:))
    }

    /// The newest event id (where following starts).
    public static func lastID(_ tx: StoreTransaction) throws -> Int64 {
        let db = tx.db
        return try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
    }
}

extension EventRecord {
    /// Docker's /events JSON message.
    public var dockerMessage: [String: Any] {
        var m: [String: Any] = [
            "Type": type, "Action": action,
            "Actor": ["ID": actorID, "Attributes": attributes] as [String: Any],
            "scope": "local", "time": timeNanos / 1_000_000_000, "timeNano": timeNanos,
        ]
        if type == "container" || type == "image" {
            m["status"] = action
            m["id"] = actorID
            if let from = attributes["image"] { m["from"] = from }
        }
        return m
    }

    /// Docker's text line: `2024-05-01T10:00:00.000000000Z container start <id> (image=…, name=…)`.
    public var line: String {
        let attrs = attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return Clock.rfc3339Nano(timeNanos, trimZeros: false) + " \(type) \(action) \(actorID)" + (attrs.isEmpty ? "" : " (\(attrs))")
    }
}

/// One run of a container: `container history`.
public struct RunRecord: Sendable, Codable {
    public var id: Int64
    public var containerID: String
    public var containerName: String
    public var image: String
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var exitCode: Int64?
    public var oomKilled: Bool
    public var endReason: String?
    /// Where the run was reachable: `network=ip …` and published ports.
    public var addresses: String?
    public var ports: String?

    /// The runs of a container by id, id prefix or name, also after it was removed; oldest first.
    public static func history(_ tx: StoreTransaction, _ ref: String) throws -> [RunRecord] {
        guard let chosen = try historyID(tx, ref) else { return [] }
        return try Row.fetchAll(
            tx.db,
            sql: """
                SELECT id, container_id, container_name, image, started_at, finished_at, exit_code, oom_killed, end_reason,
                       addresses, ports
                FROM runs WHERE container_id = ? ORDER BY started_at, id
                """, arguments: [chosen]
        ).map(RunRecord.init(row:))
    }

    /// The container whose runs `ref` (id, id prefix or name, also of a removed one) names.
    public static func historyID(_ tx: StoreTransaction, _ ref: String) throws -> String? {
        let db = tx.db
        let ids = try String.fetchAll(
            db,
            sql: """
                SELECT DISTINCT container_id FROM runs WHERE container_id = ? OR container_name = ? OR (container_id >= ? AND container_id < ?)
                """, arguments: [ref, ref.hasPrefix("/") ? String(ref.dropFirst()) : ref, ref, ref + "g"])
        // A name reused by a newer container: the newest holder's history, as `inspect` would pick.
        guard !ids.isEmpty else { return nil }
        let chosen: String
        if ids.count == 1 {
            chosen = ids[0]
        } else if ids.contains(ref) {
            chosen = ref
        } else {
            chosen =
                try String.fetchOne(
                    db,
                    sql:
                        "SELECT container_id FROM runs WHERE container_id IN (\(ids.map { _ in "?" }.joined(separator: ","))) ORDER BY started_at DESC LIMIT 1",
                    arguments: StatementArguments(ids)) ?? ids[0]
        }
        return chosen
    }
}

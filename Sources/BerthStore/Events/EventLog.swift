import BerthCore
import Foundation
import GRDB

/// One entry of the append-only history.
public struct EventRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var timeNanos: Int64
    public var type: String
    public var action: String
    public var actorID: String
    public var actorName: String?
    public var attributes: [String: String]
}

extension EventRecord {
    /// A row of `SELECT id, time_ns, type, action, actor_id, actor_name, attributes FROM events`.
    init(row r: Row) {
        let attrs =
            (r["attributes"] as String?).flatMap {
                try? JSONDecoder().decode([String: String].self, from: Data($0.utf8))
            } ?? [:]
        self.init(
            id: r["id"], timeNanos: r["time_ns"], type: r["type"], action: r["action"],
            actorID: r["actor_id"], actorName: r["actor_name"], attributes: attrs)
    }
}

/// Writing and reading the events table.
public enum Events {
    /// Appends an event inside the caller's transaction.
    public static func append(
        _ tx: StoreTransaction, type: String, action: String, actorID: String,
        actorName: String? = nil, attributes: [String: String] = [:],
        time: Int64 = Clock.nowNanos()
    ) throws {
        let db = tx.db
        let attrs = String(decoding: try JSONEncoder.sorted.encode(attributes), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO events (time_ns, type, action, actor_id, actor_name, attributes)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [time, type, action, actorID, actorName, attrs])
    }

    /// Events in time order, optionally bounded and filtered by type.
    public static func list(
        _ tx: StoreTransaction, since: Int64? = nil, until: Int64? = nil,
        type: String? = nil, limit: Int? = nil
    ) throws -> [EventRecord] {
        let db = tx.db
        var sql = "SELECT id, time_ns, type, action, actor_id, actor_name, attributes FROM events WHERE 1=1"
        var args: [any DatabaseValueConvertible] = []
        if let since { sql += " AND time_ns >= ?"; args.append(since) }
        if let until { sql += " AND time_ns <= ?"; args.append(until) }
        if let type { sql += " AND type = ?"; args.append(type) }
        sql += " ORDER BY time_ns, id"
        if let limit { sql += " LIMIT \(limit)" }
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(EventRecord.init(row:))
    }
}

extension JSONEncoder {
    /// Sorted keys: stable text for stored JSON.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

import BerthCore
import GRDB

extension Store {
    /// berthd's id, made on first start and kept.
    public func daemonID() throws -> String {
        try writeDB { db -> String in
            if let id = try String.fetchOne(db, sql: "SELECT value FROM daemon_state WHERE key = 'daemon_id'") { return id }
            let id = Identifier.random()
            try db.execute(sql: "INSERT INTO daemon_state (key, value) VALUES ('daemon_id', ?)", arguments: [id])
            return id
        }
    }

    /// Records one event in a transaction of its own (events that change no row: daemon start,
    /// stop, recover).
    public func appendEvent(
        type: String, action: String, actorID: String, actorName: String? = nil,
        attributes: [String: String] = [:]
    ) throws {
        try write { tx in
            try Events.append(tx, type: type, action: action, actorID: actorID, actorName: actorName, attributes: attributes)
        }
    }
}

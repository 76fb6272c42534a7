import BerthCore
import GRDB

extension ContainerStore {
    /// SQLite's variable limit is respected by chunks of this many ids.
    static let chunk = 500

    static func chunks(_ ids: [String]) -> [[String]] {
        stride(from: 0, to: ids.count, by: chunk).map { Array(ids[$0..<min(ids.count, $0 + chunk)]) }
    }

    static func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ",") }

    /// The first step of a removal: the rows say `removing`, so a crash is finished by recovery.
    public static func markRemoving(_ tx: StoreTransaction, ids: [String]) throws {
        let db = tx.db
        for c in chunks(ids) {
            try db.execute(sql: "UPDATE containers SET state = 'removing' WHERE id IN (\(marks(c.count)))", arguments: StatementArguments(c))
        }
    }

    /// A forced removal's intent, recorded before its kills (1: remove, 2: with anonymous volumes).
    public static func markRemovePending(_ tx: StoreTransaction, ids: [String], volumes: Bool) throws {
        let db = tx.db
        for c in chunks(ids) {
            try db.execute(
                sql: "UPDATE containers SET remove_pending = ? WHERE id IN (\(marks(c.count)))",
                arguments: StatementArguments([volumes ? 2 : 1] + c.map { $0 as any DatabaseValueConvertible }))
        }
    }

    /// Forced removals a crash interrupted: (id, with volumes).
    public static func pendingRemovals(_ tx: StoreTransaction) throws -> [(id: String, volumes: Bool)] {
        let db = tx.db
        return try Row.fetchAll(db, sql: "SELECT id, remove_pending FROM containers WHERE remove_pending > 0 AND state != 'removing'")
            .map { ($0[0] as String, ($0[1] as Int) == 2) }
    }

    /// The anonymous volumes the containers mount (removed with them on `rm -v`).
    public static func anonymousVolumes(_ tx: StoreTransaction, ids: [String]) throws -> [String] {
        let db = tx.db
        var out: [String] = []
        for c in chunks(ids) {
            out += try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT m.volume_name FROM mounts m JOIN volumes v ON v.name = m.volume_name
                    WHERE m.container_id IN (\(marks(c.count))) AND v.anonymous = 1
                    """, arguments: StatementArguments(c))
        }
        return out
    }

    /// The rows go (labels and mounts with them, by foreign key), each kept first as it was in
    /// `removed_containers`: the history of the host (`ps --at`) still shows it where it existed.
    public static func delete(_ tx: StoreTransaction, ids: [String], at now: Int64 = Clock.nowNanos()) throws {
        let db = tx.db
        for c in chunks(ids) {
            let list = "(\(marks(c.count)))"
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO removed_containers (id, name, image_id, image_ref, command, created_at, removed_at,
                        restart_policy, config_json, host_config_json, labels_json, mounts_json, ports_json, networks_json)
                    SELECT c.id, c.name, c.image_id, c.image_ref, c.command, c.created_at, ?, c.restart_policy,
                        c.config_json, c.host_config_json,
                        coalesce((SELECT json_group_object(l.key, l.value) FROM container_labels l WHERE l.container_id = c.id), '{}'),
                        coalesce((SELECT json_group_array(json_array(m.type, m.source, m.destination, m.volume_name))
                                  FROM mounts m WHERE m.container_id = c.id ORDER BY m.position), '[]'),
                        coalesce((SELECT json_group_array(json_array(p.host_ip, p.host_port, p.container_port, p.protocol, p.published))
                                  FROM port_mappings p WHERE p.container_id = c.id), '[]'),
                        coalesce((SELECT json_group_array(json_array(n.id, n.name)) FROM network_attachments a
                                  JOIN networks n ON n.id = a.network_id WHERE a.container_id = c.id), '[]')
                    FROM containers c WHERE c.id IN \(list)
                    """, arguments: StatementArguments([now as any DatabaseValueConvertible] + c.map { $0 as any DatabaseValueConvertible }))
            try db.execute(sql: "DELETE FROM containers WHERE id IN \(list)", arguments: StatementArguments(c))
        }
    }
}

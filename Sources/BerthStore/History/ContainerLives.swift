import BerthCore
import Foundation
import GRDB

/// A container's whole recorded life, removed ones too: the history page's rows.
public struct ContainerLife: Sendable {
    public var id: String
    public var name: String
    public var image: String
    public var command: String
    /// Its state now, or `removed`.
    public var state: String
    public var createdAt: Int64
    public var removedAt: Int64?
    public var runs: [RunRecord] = []
    public var configJSON: String
    public var hostConfigJSON: String
    /// (type, source, destination, volume name).
    public var mounts: [(type: String, source: String?, destination: String, volume: String?)] = []
    /// Docker's PORTS text of its mappings (as configured).
    public var ports: [String] = []
}

extension ContainerLife {
    static let columns = "id, name, image_ref, command, created_at, config_json, host_config_json"

    /// The `limit` containers most recently created or run (present and removed), newest first,
    /// with their runs.
    public static func recent(_ tx: StoreTransaction, limit: Int = 300) throws -> [ContainerLife] {
        let db = tx.db
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM (
                  SELECT \(columns), state, NULL AS removed_at FROM containers
                  UNION ALL
                  SELECT \(columns), 'removed', removed_at FROM removed_containers)
                ORDER BY coalesce((SELECT max(started_at) FROM runs r WHERE r.container_id = id), created_at) DESC LIMIT ?
                """, arguments: [limit])
        var lives = rows.map(Self.init(row:))
        let index = Dictionary(uniqueKeysWithValues: lives.enumerated().map { ($1.id, $0) })
        for chunk in ContainerStore.chunks(lives.map(\.id)) {
            for r in try Row.fetchAll(
                db,
                sql: """
                    SELECT id, container_id, container_name, image, started_at, finished_at, exit_code, oom_killed, end_reason,
                           addresses, ports FROM runs WHERE container_id IN (\(ContainerStore.marks(chunk.count))) ORDER BY started_at, id
                    """, arguments: StatementArguments(chunk))
            {
                if let i = index[r[1]] { lives[i].runs.append(RunRecord(row: r)) }
            }
        }
        return lives
    }

    /// One container's life by full id, with its mounts and ports; nil when history has none.
    public static func one(_ tx: StoreTransaction, id: String) throws -> ContainerLife? {
        let db = tx.db
        if let row = try Row.fetchOne(db, sql: "SELECT \(columns), state, NULL AS removed_at FROM containers WHERE id = ?", arguments: [id]) {
            var life = ContainerLife(row: row)
            life.mounts = try ContainerQueries.mounts(tx, id: id).map { ($0.type, $0.source, $0.destination, $0.volumeName) }
            life.ports = try ContainerQueries.publishedPorts(tx, id: id).map { p in
                "\((p.hostIP ?? "").isEmpty ? "0.0.0.0" : p.hostIP!):\(p.hostPort ?? 0)->\(p.containerPort)/\(p.proto)"
            }
            life.runs = try RunRecord.history(tx, id)
            return life
        }
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT \(columns), 'removed' AS state, removed_at, mounts_json, ports_json FROM removed_containers WHERE id = ?",
                arguments: [id])
        else { return nil }
        var life = ContainerLife(row: row)
        let mounts = (try? JSONSerialization.jsonObject(with: Data((row["mounts_json"] as String).utf8))) as? [[Any]] ?? []
        life.mounts = mounts.compactMap { m in
            guard m.count == 4, let type = m[0] as? String, let dest = m[2] as? String else { return nil }
            return (type, m[1] as? String, dest, m[3] as? String)
        }
        let ports = (try? JSONSerialization.jsonObject(with: Data((row["ports_json"] as String).utf8))) as? [[Any]] ?? []
        life.ports = ports.compactMap { p in
            guard p.count == 5, let cp = p[2] as? Int, let proto = p[3] as? String else { return nil }
            guard let hp = p[1] as? Int else { return "\(cp)/\(proto)" }
            let ip = (p[0] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
            return "\(ip):\(hp)->\(cp)/\(proto)"
        }
        life.runs = try RunRecord.history(tx, id)
        return life
    }

    init(row r: Row) {
        self.init(
            id: r["id"], name: r["name"], image: r["image_ref"], command: r["command"], state: r["state"],
            createdAt: r["created_at"], removedAt: r["removed_at"], configJSON: r["config_json"],
            hostConfigJSON: r["host_config_json"])
    }
}

extension RunRecord {
    /// A row of `SELECT id, container_id, container_name, image, started_at, finished_at,
    /// exit_code, oom_killed, end_reason, addresses, ports FROM runs`.
    init(row r: Row) {
        self.init(
            id: r[0], containerID: r[1], containerName: r[2], image: r[3], startedAt: r[4], finishedAt: r[5],
            exitCode: r[6], oomKilled: r[7], endReason: r[8], addresses: r[9], ports: r[10])
    }
}

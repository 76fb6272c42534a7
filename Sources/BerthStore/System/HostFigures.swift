import BerthAPI
import BerthCore
import GRDB

/// What `/metrics` reports of the host, read in one transaction from the same tables `ps`,
/// `images` and `container history` read, so the numbers agree with them.
public struct HostFigures: Sendable {
    /// Containers by state (every state, zeros included).
    public var containersByState: [String: Int] = [:]
    /// Per container now: (id, name, restart count, health status or nil).
    public var containers: [(id: String, name: String, restarts: Int64, health: String?)] = []
    /// Ended runs of current containers by exit code: (id, name, code, count).
    public var exits: [(id: String, name: String, code: Int64, count: Int)] = []
    /// Every run OOM-killed, in all history (removed containers too).
    public var oomKills = 0
    public var images = 0
    /// Unpacked image bytes, each layer once.
    public var imageBytes: Int64 = 0
    public var events = 0

    public static func read(_ tx: StoreTransaction) throws -> HostFigures {
        let db = tx.db
        var f = HostFigures()
        for s in ContainerState.allCases { f.containersByState[s.rawValue] = 0 }
        for r in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM containers GROUP BY state") {
            f.containersByState[r[0], default: 0] += r[1] as Int
        }
        f.containers = try Row.fetchAll(db, sql: "SELECT id, name, restart_count, health_status FROM containers ORDER BY name").map {
            ($0[0], $0[1], $0[2], $0[3])
        }
        f.exits = try Row.fetchAll(
            db,
            sql: """
                SELECT c.id, c.name, r.exit_code, count(*) FROM runs r JOIN containers c ON c.id = r.container_id
                WHERE r.finished_at IS NOT NULL AND r.exit_code IS NOT NULL GROUP BY c.id, r.exit_code ORDER BY c.name, r.exit_code
                """
        ).map { ($0[0], $0[1], $0[2], $0[3]) }
        f.oomKills = try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE oom_killed = 1") ?? 0
        f.images = try Int.fetchOne(db, sql: "SELECT count(*) FROM images") ?? 0
        f.imageBytes = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM layers") ?? 0
        f.events = try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0
        return f
    }
}

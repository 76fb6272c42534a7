import BerthCore
import Foundation
import GRDB

/// The host as it was at a past moment, rebuilt from history (the runs, the events and the rows
/// of removed containers), never from today's states.
///
/// It is a SQL prefix: common table expressions named like the tables `ps` reads (`containers`,
/// `container_labels`, `mounts`, `port_mappings`, `network_attachments`, `networks`). Put in
/// front of any `ps` query, unqualified names resolve to them, so every filter and format of
/// `ps` answers for that moment with the same SQL it uses for now. A container then:
/// - existed if it was created at or before the moment and not yet removed;
/// - had the name it had before its first rename after the moment;
/// - was in the run that had started by then: running (paused after a `pause` in that run),
///   else `restarting` if that run's end began a restart not yet given up, else exited with
///   the run's code; with no run yet, created;
/// - showed the restart count and published ports recorded with that run.
public struct HostAt: Sendable {
    /// The moment, Unix nanoseconds.
    public let time: Int64

    public init(time: Int64) { self.time = time }

    /// `WITH …` (ending in a comma-free list, ready for the query after it); `?1` is the moment.
    public var prefix: String {
        """
        WITH
        h_renames AS MATERIALIZED (
          SELECT actor_id, ltrim(json_extract(attributes, '$.oldName'), '/') AS old_name, min(time_ns)
          FROM main.events WHERE type = 'container' AND action = 'rename' AND time_ns > ?1 GROUP BY actor_id),
        h_pauses AS MATERIALIZED (
          SELECT actor_id, action, max(time_ns) AS t FROM main.events
          WHERE type = 'container' AND action IN ('pause', 'unpause') AND time_ns <= ?1 GROUP BY actor_id),
        h_base AS NOT MATERIALIZED (
          SELECT id, name, image_id, image_ref, command, created_at, restart_policy, config_json, host_config_json
          FROM main.containers WHERE created_at <= ?1
          UNION ALL
          SELECT id, name, image_id, image_ref, command, created_at, restart_policy, config_json, host_config_json
          FROM main.removed_containers WHERE removed_at > ?1 AND created_at <= ?1),
        h_runs AS NOT MATERIALIZED (
          SELECT b.*, r.id AS r_id, r.started_at AS r_started, r.finished_at AS r_finished, r.exit_code AS r_code,
                 r.oom_killed AS r_oom, r.restart_count AS r_restarts, r.boot_id AS r_boot, r.ports AS r_ports,
                 r.restarting AS r_restarting, r.restart_cancelled_at AS r_cancelled
          FROM h_base b LEFT JOIN main.runs r ON r.id = (
            SELECT x.id FROM main.runs x WHERE x.container_id = b.id AND x.started_at <= ?1
            ORDER BY x.started_at DESC, x.id DESC LIMIT 1)),
        h_states AS NOT MATERIALIZED (
          SELECT s.*, coalesce(n.old_name, s.name) AS h_name,
                 CASE WHEN s.r_id IS NULL THEN 'created'
                      WHEN s.r_finished IS NULL OR s.r_finished > ?1 THEN
                        CASE WHEN p.action = 'pause' AND p.t >= s.r_started THEN 'paused' ELSE 'running' END
                      WHEN s.r_restarting = 1 AND (s.r_cancelled IS NULL OR s.r_cancelled > ?1) THEN 'restarting'
                      ELSE 'exited' END AS h_state
          FROM h_runs s LEFT JOIN h_pauses p ON p.actor_id = s.id LEFT JOIN h_renames n ON n.actor_id = s.id),
        containers AS NOT MATERIALIZED (
          SELECT id, h_name AS name, image_id, image_ref, command, h_state AS state,
                 NULL AS pid, NULL AS conmon_pid, NULL AS conmon_start_time,
                 CASE WHEN h_state IN ('created', 'running', 'paused') THEN 0 ELSE r_code END AS exit_code,
                 CASE WHEN h_state IN ('exited', 'restarting') THEN r_oom ELSE 0 END AS oom_killed,
                 NULL AS error, created_at, r_started AS started_at,
                 CASE WHEN h_state IN ('exited', 'restarting') THEN r_finished END AS finished_at,
                 r_id IS NOT NULL AS has_run, restart_policy, 0 AS restart_max, coalesce(r_restarts, 0) AS restart_count,
                 NULL AS restart_at, 0 AS stopped_by_user, 0 AS auto_remove, r_boot AS boot_id,
                 CASE WHEN h_state IN ('running', 'paused') AND json_extract(config_json, '$.Healthcheck.Test[0]') NOT IN ('NONE')
                   THEN coalesce((SELECT substr(e.action, 16) FROM main.events e
                                  WHERE e.actor_id = h_states.id AND e.time_ns BETWEEN r_started AND ?1
                                    AND e.action LIKE 'health\\_status: %' ESCAPE '\\'
                                  ORDER BY e.time_ns DESC LIMIT 1), 'starting') END AS health_status,
                 NULL AS size_rw, config_json, host_config_json, NULL AS health_json, 0 AS remove_pending,
                 CASE WHEN h_state IN ('running', 'paused') THEN r_ports END AS ports_then
          FROM h_states),
        container_labels AS NOT MATERIALIZED (
          SELECT container_id, key, value FROM main.container_labels
          UNION ALL
          SELECT rc.id, j.key, j.value FROM main.removed_containers rc, json_each(rc.labels_json) j),
        mounts AS NOT MATERIALIZED (
          SELECT container_id, position, type, source, destination, volume_name FROM main.mounts
          UNION ALL
          SELECT rc.id, j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3
          FROM main.removed_containers rc, json_each(rc.mounts_json) j),
        port_mappings AS NOT MATERIALIZED (
          SELECT container_id, host_ip, host_port, container_port, protocol, published FROM main.port_mappings
          UNION ALL
          SELECT rc.id, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4
          FROM main.removed_containers rc, json_each(rc.ports_json) j),
        network_attachments AS NOT MATERIALIZED (
          SELECT container_id, network_id FROM main.network_attachments
          UNION ALL
          SELECT rc.id, j.value ->> 0 FROM main.removed_containers rc, json_each(rc.networks_json) j),
        networks AS NOT MATERIALIZED (
          SELECT id, name FROM main.networks
          UNION
          SELECT j.value ->> 0, j.value ->> 1 FROM main.removed_containers rc, json_each(rc.networks_json) j)

        """
    }

    /// The prefix's arguments: the moment first (`?1`), then the query's own.
    func arguments(_ rest: [any DatabaseValueConvertible]) -> StatementArguments {
        StatementArguments(([time as any DatabaseValueConvertible] + rest).map { $0.databaseValue })
    }

    /// Docker's PORTS text as it was: the published ports the run then held (a run's ports are
    /// chosen at its start) for the containers `running` then, and exposed ports always. Read
    /// per container, not through the whole view again: that would cost the query twice.
    public func portsText(_ tx: StoreTransaction, running: [String]) throws -> [String: String] {
        var out: [String: [String]] = [:]
        for chunk in ContainerStore.chunks(running) {
            let sql = """
                SELECT c.value, (SELECT r.ports FROM main.runs r WHERE r.container_id = c.value AND r.started_at <= ?
                                 ORDER BY r.started_at DESC, r.id DESC LIMIT 1)
                FROM json_each(?) c
                """
            let ids = String(decoding: try JSONEncoder().encode(chunk), as: UTF8.self)
            for r in try Row.fetchAll(tx.db, sql: sql, arguments: [time, ids]) {
                if let ports: String = r[1], !ports.isEmpty { out[r[0], default: []].append(ports) }
            }
        }
        let exposed = """
            SELECT container_id, container_port, protocol FROM main.port_mappings WHERE published = 0
            UNION ALL
            SELECT rc.id, j.value ->> 2, j.value ->> 3 FROM main.removed_containers rc, json_each(rc.ports_json) j
            WHERE rc.removed_at > ?1 AND rc.created_at <= ?1 AND j.value ->> 4 = 0
            ORDER BY 2, 3
            """
        for r in try Row.fetchAll(tx.db, sql: exposed, arguments: [time]) {
            out[r[0], default: []].append("\(r[1] as Int)/\(r[2] as String)")
        }
        return out.mapValues { $0.joined(separator: ", ") }
    }

    /// Labels of the containers then, by id.
    public func labels(_ tx: StoreTransaction) throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        let sql = prefix + "SELECT l.container_id, l.key, l.value FROM containers c JOIN container_labels l ON l.container_id = c.id"
        for r in try Row.fetchAll(tx.db, sql: sql, arguments: arguments([])) { out[r[0], default: [:]][r[1]] = r[2] }
        return out
    }

    /// Mount names (volume names, else sources) of the containers then.
    public func mountNames(_ tx: StoreTransaction) throws -> [String: String] {
        var out: [String: [String]] = [:]
        let sql = prefix + """
            SELECT m.container_id, m.volume_name, m.source, m.destination FROM containers c
            JOIN mounts m ON m.container_id = c.id ORDER BY m.container_id, m.position
            """
        for r in try Row.fetchAll(tx.db, sql: sql, arguments: arguments([])) {
            out[r[0], default: []].append((r[1] as String?) ?? (r[2] as String?) ?? (r[3] as String))
        }
        return out.mapValues { $0.joined(separator: ",") }
    }

    /// The oldest moment history knows (the first event or container), nil when it is empty.
    public static func firstMoment(_ tx: StoreTransaction) throws -> Int64? {
        try Int64.fetchOne(
            tx.db,
            sql: """
                SELECT min(t) FROM (SELECT min(time_ns) AS t FROM events UNION ALL SELECT min(created_at) FROM containers
                UNION ALL SELECT min(created_at) FROM removed_containers)
                """)
    }
}

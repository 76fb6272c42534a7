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
        h_base AS MATERIALIZED (
          SELECT id, created_at, 0 AS gone FROM main.containers WHERE created_at <= ?1
          UNION ALL
          SELECT id, created_at, 1 FROM main.removed_containers WHERE removed_at > ?1 AND created_at <= ?1),
        h_renames AS MATERIALIZED (
          SELECT actor_id, ltrim(json_extract(attributes, '$.oldName'), '/') AS old_name, min(time_ns)
          FROM main.events WHERE type = 'container' AND action = 'rename' AND time_ns > ?1 GROUP BY actor_id),
        h_pauses AS MATERIALIZED (
          SELECT actor_id, action, max(time_ns) AS t FROM main.events
          WHERE type = 'container' AND action IN ('pause', 'unpause') AND time_ns <= ?1 GROUP BY actor_id),
        h_runs AS MATERIALIZED (
          SELECT b.id, b.created_at, b.gone,
                 (SELECT r.id FROM main.runs r WHERE r.container_id = b.id AND r.started_at <= ?1
                  ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS run_id
          FROM h_base b),
        h_states AS MATERIALIZED (
          SELECT b.id, b.created_at, b.gone, r.id AS r_id, r.started_at AS r_started, r.finished_at AS r_finished,
                 r.exit_code AS r_code, r.oom_killed AS r_oom, r.restart_count AS r_restarts, r.boot_id AS r_boot,
                 r.ports AS r_ports, n.old_name,
                 CASE WHEN r.id IS NULL THEN 'created'
                      WHEN r.finished_at IS NULL OR r.finished_at > ?1 THEN
                        CASE WHEN p.action = 'pause' AND p.t >= r.started_at THEN 'paused' ELSE 'running' END
                      WHEN r.restarting = 1 AND (r.restart_cancelled_at IS NULL OR r.restart_cancelled_at > ?1) THEN 'restarting'
                      ELSE 'exited' END AS h_state
          FROM h_runs b LEFT JOIN main.runs r ON r.id = b.run_id
          LEFT JOIN h_pauses p ON p.actor_id = b.id LEFT JOIN h_renames n ON n.actor_id = b.id),
        containers AS NOT MATERIALIZED (
          SELECT s.id, coalesce(s.old_name, lc.name, rc.name) AS name, coalesce(lc.image_id, rc.image_id) AS image_id,
                 coalesce(lc.image_ref, rc.image_ref) AS image_ref, coalesce(lc.command, rc.command) AS command,
                 s.h_state AS state, NULL AS pid, NULL AS conmon_pid, NULL AS conmon_start_time,
                 CASE WHEN s.h_state IN ('created', 'running', 'paused') THEN 0 ELSE s.r_code END AS exit_code,
                 CASE WHEN s.h_state IN ('exited', 'restarting') THEN s.r_oom ELSE 0 END AS oom_killed,
                 NULL AS error, s.created_at, s.r_started AS started_at,
                 CASE WHEN s.h_state IN ('exited', 'restarting') THEN s.r_finished END AS finished_at,
                 s.r_id IS NOT NULL AS has_run, coalesce(lc.restart_policy, rc.restart_policy) AS restart_policy,
                 0 AS restart_max, coalesce(s.r_restarts, 0) AS restart_count, NULL AS restart_at, 0 AS stopped_by_user,
                 0 AS auto_remove, s.r_boot AS boot_id,
                 CASE WHEN s.h_state IN ('running', 'paused')
                        AND json_extract(coalesce(lc.config_json, rc.config_json), '$.Healthcheck.Test[0]') NOT IN ('NONE')
                   THEN coalesce((SELECT substr(e.action, 16) FROM main.events e
                                  WHERE e.actor_id = s.id AND e.time_ns BETWEEN s.r_started AND ?1
                                    AND e.action LIKE 'health\\_status: %' ESCAPE '\\'
                                  ORDER BY e.time_ns DESC LIMIT 1), 'starting') END AS health_status,
                 NULL AS size_rw, coalesce(lc.config_json, rc.config_json) AS config_json,
                 coalesce(lc.host_config_json, rc.host_config_json) AS host_config_json, NULL AS health_json,
                 0 AS remove_pending, CASE WHEN s.h_state IN ('running', 'paused') THEN s.r_ports END AS ports_then
          FROM h_states s
          LEFT JOIN main.containers lc ON s.gone = 0 AND lc.id = s.id
          LEFT JOIN main.removed_containers rc ON s.gone = 1 AND rc.id = s.id),
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
    /// chosen at its start), and exposed ports always.
    public func portsText(_ tx: StoreTransaction) throws -> [String: String] {
        var out: [String: [String]] = [:]
        for r in try Row.fetchAll(tx.db, sql: prefix + "SELECT id, ports_then FROM containers WHERE ports_then IS NOT NULL", arguments: arguments([])) {
            out[r[0], default: []].append(r[1])
        }
        let exposed = prefix + """
            SELECT p.container_id, p.container_port, p.protocol FROM port_mappings p
            WHERE p.published = 0 AND p.container_id IN (SELECT id FROM containers) ORDER BY p.container_port, p.protocol
            """
        for r in try Row.fetchAll(tx.db, sql: exposed, arguments: arguments([])) {
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

import BerthAPI
import BerthCore
import GRDB

/// The container rows' writes, each joining the caller's transaction, so a state change and its
/// event stay one transaction at one call site.
public enum ContainerStore {
    /// A user's stop or kill: no restart afterwards.
    public static func markStoppedByUser(_ tx: StoreTransaction, id: String) throws {
        let db = tx.db
        try db.execute(sql: "UPDATE containers SET stopped_by_user = 1 WHERE id = ?", arguments: [id])
    }

    /// `running` → `paused` and back (`unpause` only from paused).
    public static func setPaused(_ tx: StoreTransaction, id: String, _ paused: Bool) throws {
        let db = tx.db
        if paused {
            try db.execute(sql: "UPDATE containers SET state = 'paused' WHERE id = ?", arguments: [id])
        } else {
            try db.execute(sql: "UPDATE containers SET state = 'running' WHERE id = ? AND state = 'paused'", arguments: [id])
        }
    }

    public static func rename(_ tx: StoreTransaction, id: String, to name: String) throws {
        let db = tx.db
        try db.execute(sql: "UPDATE containers SET name = ? WHERE id = ?", arguments: [name, id])
    }

    /// What a start failure leaves: its message and Docker's code.
    public static func recordStartFailure(_ tx: StoreTransaction, id: String, message: String, code: Int64) throws {
        let db = tx.db
        try db.execute(sql: "UPDATE containers SET error = ?, exit_code = ? WHERE id = ?", arguments: [message, code, id])
        try NetworkStore.releaseRun(tx, containerID: id)
    }

    /// A run begins: the container row and a new `runs` row.
    public static func recordStart(
        _ tx: StoreTransaction, id: String, name: String, imageRef: String, pid: Int32, conmonPid: Int32,
        conmonStartTime: Int64?, at now: Int64, bootID: String, restarting: Bool,
        healthStatus: String?
    ) throws {
        let db = tx.db
        try db.execute(
            sql: """
                UPDATE containers SET state = 'running', pid = ?, conmon_pid = ?, conmon_start_time = ?, started_at = ?,
                    boot_id = ?, has_run = 1, exit_code = 0, error = NULL, oom_killed = 0, stopped_by_user = 0,
                    restart_at = NULL, restart_count = restart_count + ?, health_status = ?, health_json = NULL
                WHERE id = ?
                """, arguments: [pid, conmonPid, conmonStartTime, now, bootID, restarting ? 1 : 0, healthStatus, id])
        try db.execute(
            sql: """
                INSERT INTO runs (container_id, container_name, image, started_at, boot_id, restart_count)
                VALUES (?, ?, ?, ?, ?, (SELECT restart_count FROM containers WHERE id = ?))
                """,
            arguments: [id, name, imageRef, now, bootID, id])
    }

    /// A run ends: the container's new state (`exited`, `restarting`, `removing`) and its run row.
    public static func recordExit(
        _ tx: StoreTransaction, id: String, state: ContainerState, code: Int64, finished: Int64, oom: Bool,
        reason: String?, restartAt: Int64?, endReason: String
    ) throws {
        let db = tx.db
        try db.execute(
            sql: """
                UPDATE containers SET state = ?, exit_code = ?, finished_at = ?, pid = NULL, conmon_pid = NULL,
                    conmon_start_time = NULL, oom_killed = ?, error = coalesce(?, error), restart_at = ?
                WHERE id = ?
                """, arguments: [state.rawValue, code, finished, oom, reason, restartAt, id])
        try db.execute(
            sql: """
                UPDATE runs SET finished_at = ?, exit_code = ?, oom_killed = ?, end_reason = ?, restarting = ?
                WHERE id = (SELECT max(id) FROM runs WHERE container_id = ? AND finished_at IS NULL)
                """, arguments: [finished, code, oom, endReason, state == .restarting, id])
        try NetworkStore.releaseRun(tx, containerID: id)
    }

    /// A pending restart given up: exited again (`byUser`: a user's stop, kill or rm).
    public static func cancelRestart(_ tx: StoreTransaction, id: String, byUser: Bool) throws {
        let db = tx.db
        try db.execute(
            sql: "UPDATE containers SET state = 'exited', restart_at = NULL\(byUser ? ", stopped_by_user = 1" : "") WHERE id = ? AND state = 'restarting'",
            arguments: [id])
        // From now on the history shows it exited, not restarting.
        if db.changesCount > 0 {
            try db.execute(
                sql: "UPDATE runs SET restart_cancelled_at = ? WHERE id = (SELECT max(id) FROM runs WHERE container_id = ?) AND restarting = 1",
                arguments: [Clock.nowNanos(), id])
        }
    }

    /// Containers waiting for a restart and when it is due.
    public static func pendingRestarts(_ tx: StoreTransaction) throws -> [(id: String, at: Int64)] {
        let db = tx.db
        return try Row.fetchAll(db, sql: "SELECT id, restart_at FROM containers WHERE state = 'restarting'")
            .map { ($0[0] as String, ($0[1] as Int64?) ?? 0) }
    }

    /// `update --restart`.
    /// A new HostConfig (resources changed by `update`).
    public static func updateHostConfig(_ tx: StoreTransaction, id: String, hostConfigJSON: String) throws {
        try tx.db.execute(sql: "UPDATE containers SET host_config_json = ? WHERE id = ?", arguments: [hostConfigJSON, id])
    }

    public static func updateRestartPolicy(_ tx: StoreTransaction, id: String, policy: String, maximumRetryCount: Int, hostConfigJSON: String) throws {
        let db = tx.db
        try db.execute(
            sql: "UPDATE containers SET restart_policy = ?, restart_max = ?, host_config_json = ? WHERE id = ?",
            arguments: [policy, maximumRetryCount, hostConfigJSON, id])
    }

    /// The health state kept for inspect (nil before the first probe).
    public static func healthJSON(_ tx: StoreTransaction, id: String) throws -> String? {
        let db = tx.db
        return try String.fetchOne(db, sql: "SELECT health_json FROM containers WHERE id = ?", arguments: [id])
    }

    /// A probe's outcome, only while the container runs.
    public static func recordHealth(_ tx: StoreTransaction, id: String, status: String, json: String) throws {
        let db = tx.db
        try db.execute(
            sql: "UPDATE containers SET health_status = ?, health_json = ? WHERE id = ? AND state = 'running'",
            arguments: [status, json, id])
    }

    /// Every container id.
    public static func allIDs(_ tx: StoreTransaction) throws -> [String] {
        let db = tx.db
        return try String.fetchAll(db, sql: "SELECT id FROM containers")
    }

    /// The chain ids of an image's layers, top first (a rootfs mount's lowerdirs).
    public static func lowerChainIDs(_ tx: StoreTransaction, imageID: String) throws -> [String] {
        let db = tx.db
        return try String.fetchAll(db, sql: "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY position DESC", arguments: [imageID])
    }
}

import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// Called for each exit file conmon writes (inotify), and for those found at start.
    public func exitReported(_ id: String) {
        Task { try? await worker.container(id) { [self] in try processExit(id) } }
    }

    /// Records one exit exactly once: the state change, the run row and the die event in one
    /// transaction; then drops runtime state, removes `--rm` containers, wakes waiters.
    /// `mayRestart` false: the caller decides about restarts itself (reboot recovery).
    func processExit(_ id: String, reason: String? = nil, mayRestart: Bool = true) throws {
        let path = exitDir + "/" + id
        let reported = ExitWatcher.read(dir: exitDir, id: id)
        // Without a reason, only a complete exit file counts.
        if reported == nil && reason == nil { return }
        let code = reported?.code ?? 255
        var finished = reported?.time ?? Clock.nowNanos()
        guard let c = try store.read({ db in try ContainerQueries.get(db, id: id) }) else {
            unlink(path)
            return
        }
        guard c.isRunning else {
            unlink(path)
            return
        }
        let oom = FileOps.exists(files(id).persist + "/oom")
        finished = max(finished, c.startedAt ?? finished)
        let restart =
            mayRestart
            && Self.shouldRestart(
                policy: c.restartPolicy, max: c.restartMax, count: c.restartCount,
                exitCode: code, stoppedByUser: c.stoppedByUser, autoRemove: c.autoRemove)
        let restartAt = restart ? Clock.nowNanos() + backoff.next(id, ranFor: finished - (c.startedAt ?? finished)) : nil
        keepNetworkInput(id)
        try store.write { db in
            // A restart emits die now and start when the back-off is over; meanwhile `restarting`.
            let endReason =
                reason.map { $0.contains("reboot") ? "reboot" : "monitor-lost" }
                ?? (oom ? "oom" : c.stoppedByUser ? "user-stop" : code == 0 ? "exited" : "crash")
            try ContainerStore.recordExit(
                db, id: id, state: restart ? .restarting : c.autoRemove ? .removing : .exited, code: code,
                finished: finished, oom: oom, reason: reason, restartAt: restartAt, endReason: endReason)
            if oom { try event(db, c, "oom", time: finished) }
            let duration = max(0, finished - (c.startedAt ?? finished)) / 1_000_000_000
            var extra = ["exitCode": String(code), "execDuration": String(duration)]
            if let reason { extra["reason"] = reason }
            try event(db, c, "die", extra, time: finished)
        }
        stopHealthMonitor(id)
        // runc's own record goes last, after the waiters heard (a `run --rm` returns ~5 ms
        // sooner); still on the worker, so a start of the same container waits for it. A
        // restart needs it gone first.
        cleanupRuntime(id, runcState: restartAt != nil)
        if let restartAt { scheduleRestart(id, at: restartAt) }
        if c.autoRemove {
            // Already marked `removing` in the exit's transaction: one commit fewer per `--rm`.
            try removeSync(id, force: true, volumes: true, runcState: false, marked: true)
        }
        waiters.notify(id, code: code)
        if restartAt == nil {
            runc.delete(id, force: true)
            FileOps.removeTree(runDir(id))
        }
    }
}

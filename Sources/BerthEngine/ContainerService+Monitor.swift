import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// How often running containers' monitors are looked at.
    static let monitorSweepInterval: UInt64 = 2_000_000_000

    /// Notices, while berthd runs, a conmon that died without writing an exit file (killed,
    /// or out of disk): the container is marked exited with the reason, its waiters and
    /// attached clients hear of it, its restart policy applies. Runs until cancelled.
    public func startMonitorSweep() -> Task<Void, Never> {
        Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: Self.monitorSweepInterval)
                if Task.isCancelled { return }
                sweepMonitors()
            }
        }
    }

    func sweepMonitors() {
        guard let live = try? store.read({ db in try ContainerQueries.withState(db, [.running, .paused]) }) else { return }
        for c in live {
            guard let pid = c.conmonPid, !ProcStat.isSame(Int32(pid), startTime: c.conmonStartTime) else { continue }
            // An exit file that arrived is the exit watcher's; only a silent death is ours.
            if FileOps.exists(exitDir + "/" + c.id) { continue }
            let id = c.id
            let startedAt = c.startedAt
            Task {
                try? await worker.container(id) { [self] in
                    // Still the same run, still without an exit file: the monitor is gone.
                    guard let now = try store.read({ db in try ContainerQueries.get(db, id: id) }),
                        now.isRunning, now.startedAt == startedAt, !FileOps.exists(exitDir + "/" + id)
                    else { return }
                    logger.warning("container \(id.prefix(12)): its monitor (conmon) exited without an exit file")
                    // Without its monitor nobody collects its output or its exit: it goes.
                    try? runc.kill(id, signal: SIGKILL, all: true)
                    try processExit(id, reason: "the container's monitor (conmon) exited without an exit file")
                }
            }
        }
    }
}

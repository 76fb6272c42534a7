import BerthCore
import BerthRuntime
import BerthStore
import Foundation
import GRDB

extension ContainerService {
    /// What start-up found about containers.
    public struct ContainerRecovery: Sendable, Equatable {
        public var adopted = 0
        public var exitsApplied = 0
        public var monitorLost = 0
        public var rebootDied = 0
        public var removalsFinished = 0
        public init() {}
    }

    /// Run at start, after the exit watcher is running: re-adopts live containers, applies
    /// the exits that came while berthd was away (oldest first), marks containers whose
    /// monitor vanished, finishes interrupted removals.
    public func recover() async throws -> ContainerRecovery {
        try await worker.run { [self] in
            var r = ContainerRecovery()
            let removing = try store.read { db in try ContainerQueries.withState(db, ["removing"]) }.map(\.id)
            try removeBatch(removing, volumes: false)
            r.removalsFinished = removing.count
            // Folders of containers whose row never came (a crash inside create) or already went.
            let known = Set(try store.read { db in try String.fetchAll(db, sql: "SELECT id FROM containers") })
            for name in (try? FileManager.default.contentsOfDirectory(atPath: paths.containers)) ?? []
                where name.count == 64 && Identifier.isHex(name) && !known.contains(name) {
                cleanupRuntime(name)
                FileOps.removeTree(files(name).dir)
            }
            let live = try store.read { db in try ContainerQueries.withState(db, ["running", "paused", "restarting"]) }
            var exited: [(String, Int64)] = []
            for c in live {
                if c.bootID != bootID {
                    // The host rebooted: the container died with it.
                    try processExit(c.id, reason: "host rebooted")
                    r.rebootDied += 1
                    continue
                }
                if let time = ExitWatcher.changeTime(exitDir + "/" + c.id) {
                    exited.append((c.id, time))
                } else if let pid = c.conmonPid, ProcStat.isSame(Int32(pid), startTime: c.conmonStartTime) {
                    r.adopted += 1
                } else {
                    try processExit(c.id, reason: "the container's monitor (conmon) exited without an exit file")
                    r.monitorLost += 1
                }
            }
            for (id, _) in exited.sorted(by: { $0.1 < $1.1 }) {
                try processExit(id)
                r.exitsApplied += 1
            }
            return r
        }
    }
}

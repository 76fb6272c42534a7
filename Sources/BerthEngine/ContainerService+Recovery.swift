import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// What start-up found about containers.
    public struct ContainerRecovery: Sendable, Equatable {
        public var adopted = 0
        public var exitsApplied = 0
        public var monitorLost = 0
        public var rebootDied = 0
        public var removalsFinished = 0
        /// `--rm` containers removed because they died while berthd was away (or with the host).
        public var autoRemoved = 0
        public var restartsResumed = 0
        public var startsUndone = 0
        /// Unrecorded container folders moved to lost+found (the database looked lost).
        public var keptAside = 0
        /// Step containers of builds berthd died in.
        public var buildStepsRemoved = 0
        public init() {}
    }

    /// Run at start, after the exit watcher is running: re-adopts live containers, applies
    /// the exits that came while berthd was away (oldest first), marks containers whose
    /// monitor vanished, finishes interrupted removals.
    public func recover(freshDatabase: Bool = false) async throws -> ContainerRecovery {
        try await worker.run { [self] in
            var r = ContainerRecovery()
            let removing = try store.read { db in try ContainerQueries.withState(db, [.removing]) }.map(\.id)
            try removeBatch(removing, volumes: false)
            r.removalsFinished = removing.count
            // A build's step containers outlive no build: the build that made them died with
            // berthd (a running step is killed, its monitor too), so they go, as with a failed
            // build (its finished steps' images stay as hidden build cache).
            let steps = try store.read { db in try ContainerQueries.ids(db, withLabel: Builder.stepLabel) }
            for id in steps { killRun(id, conmon: recordedConmonPid(id)) }
            try removeBatch(steps, volumes: true)
            r.buildStepsRemoved = steps.count
            // Folders of containers whose row never came (a crash inside create) or already went.
            let known = Set(try store.read { db in try ContainerStore.allIDs(db) })
            let unknown = ((try? FileManager.default.contentsOfDirectory(atPath: paths.containers)) ?? [])
                .filter { $0.count == 64 && Identifier.isHex($0) && !known.contains($0) }
            let lost = LostAndFound(paths: paths, freshDatabase: freshDatabase, unrecorded: unknown.count, recorded: known.count)
            if lost.keepUnrecorded {
                // The database forgot them, not the host: they keep running, their folders
                // move aside for an operator (or --rebuild-db) to look at.
                for name in unknown where lost.keep(files(name).dir, kind: "containers") { r.keptAside += 1 }
                logger.error(
                    "the database records \(known.count) containers but the root holds \(unknown.count) more: the database looks lost or rolled back; nothing was deleted or stopped, \(r.keptAside) container folders were moved to \(lost.dir)"
                )
            } else {
                for name in unknown {
                    cleanupRuntime(name)
                    FileOps.removeTree(files(name).dir)
                }
                // runc records left by containers removed just before a crash (runc's own
                // delete runs after the removal is answered).
                for name in (try? FileManager.default.contentsOfDirectory(atPath: runc.root)) ?? []
                where name.count == 64 && Identifier.isHex(name) && !known.contains(name) {
                    runc.delete(name, force: true)
                    FileOps.removeTree(runDir(name))
                }
            }
            // A start cut short (berthd died between conmon and the commit): the container may
            // run, but the row says created. Nothing half-done: its processes go, it stays created.
            // One cut short before conmon ran still holds the address its start took.
            let holding = try store.read { db in try NetworkStore.createdHoldingAddresses(db) }
            for c in try store.read({ db in try ContainerQueries.withState(db, [.created]) }) {
                guard let pid = recordedConmonPid(c.id) else {
                    if holding.contains(c.id) {
                        cleanupRuntime(c.id)
                        try store.write { db in try NetworkStore.releaseRun(db, containerID: c.id) }
                        r.startsUndone += 1
                    }
                    continue
                }
                killRun(c.id, conmon: pid)
                cleanupRuntime(c.id)
                try store.write { db in try NetworkStore.releaseRun(db, containerID: c.id) }
                r.startsUndone += 1
            }
            let live = try store.read { db in try ContainerQueries.withState(db, ContainerState.live) }
            var exited: [(String, Int64)] = []
            for c in live {
                if c.bootID != bootID {
                    // The host rebooted: the container died with it. Policies act afterwards,
                    // in `startByPolicy`, once berthd answers.
                    try processExit(c.id, reason: "host rebooted", mayRestart: false)
                    r.rebootDied += 1
                    if c.autoRemove { r.autoRemoved += 1 }
                    continue
                }
                // Waiting for a restart: resumed below with what is left of its delay.
                if c.state == .restarting { continue }
                if let time = ExitWatcher.changeTime(exitDir + "/" + c.id) {
                    exited.append((c.id, time))
                } else if let pid = c.conmonPid, ProcStat.isSame(Int32(pid), startTime: c.conmonStartTime) {
                    rootfsMounts.adoptRun(c.id, target: files(c.id).rootfs)
                    if let host = try? JSONDecoder().decode(HostConfig.self, from: Data(c.hostConfigJSON.utf8)),
                        let logs = try? LogOptions.resolve(host.LogConfig, defaults: logDefaults), logs.maxFiles > 1,
                        let size = logs.maxSize
                    {
                        logRotator?.watch(id: c.id, dir: files(c.id).dir, maxFiles: logs.maxFiles, maxSize: size)
                    }
                    r.adopted += 1
                    restoreLoopbackProxies(c.id)
                    startHealthMonitor(c.id)
                } else {
                    try processExit(c.id, reason: "the container's monitor (conmon) exited without an exit file")
                    r.monitorLost += 1
                }
            }
            for (id, _) in exited.sorted(by: { $0.1 < $1.1 }) {
                let c = try store.read { db in try ContainerQueries.get(db, id: id) }
                try processExit(id)
                r.exitsApplied += 1
                if c?.autoRemove == true { r.autoRemoved += 1 }
            }
            r.restartsResumed = try resumePendingRestarts()
            let running = try store.read { db in try ContainerQueries.withState(db, [.running, .paused]) }
            sweepNetworks(live: Set(running.map(\.id)))
            return r
        }
    }
}

extension ContainerService {
    public struct PolicyStarts: Sendable, Equatable {
        public var considered = 0
        public var restarted = 0
        public var leftExited = 0
        public var failed = 0
    }

    /// At start (after a reboot too): stopped containers whose policy says so are started,
    /// `parallel` at a time. Runs once berthd answers, so start-up stays quick.
    public func startByPolicy(parallel: Int = 8) async -> PolicyStarts {
        var out = PolicyStarts()
        guard let stopped = try? store.read({ db in try ContainerQueries.withState(db, [.exited, .created]) }) else { return out }
        let candidates = stopped.filter { $0.restartPolicy != "no" }
        out.considered = candidates.count
        let chosen = candidates.filter {
            Self.startsWithDaemon(
                policy: $0.restartPolicy, max: $0.restartMax, count: $0.restartCount,
                exitCode: $0.exitCode, stoppedByUser: $0.stoppedByUser, hasRun: $0.hasRun)
        }
        out.leftExited = candidates.count - chosen.count
        let results = await withTaskGroup(of: Bool.self) { g -> [Bool] in
            var results: [Bool] = []
            var next = 0
            func add() {
                guard next < chosen.count else { return }
                let id = chosen[next].id
                next += 1
                g.addTask { [self] in
                    do {
                        try await offload { [self] in try startSync(id) }
                        return true
                    } catch {
                        logger.warning("start of \(id.prefix(12)) by its restart policy failed: \(error)")
                        return false
                    }
                }
            }
            for _ in 0..<parallel { add() }
            while let ok = await g.next() {
                results.append(ok)
                add()
            }
            return results
        }
        out.restarted = results.filter { $0 }.count
        out.failed = results.count - out.restarted
        return out
    }
}

extension ContainerService {
    /// The pid of the conmon a start spawned, from its pid file (gone after a reboot).
    func recordedConmonPid(_ id: String) -> Int32? {
        (try? String(contentsOfFile: runDir(id) + "/conmon.pid", encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Kills a run berthd will not keep: its processes through runc, and its conmon by pid when
    /// that pid still names a conmon (never another process that got the number).
    func killRun(_ id: String, conmon pid: Int32?) {
        try? runc.kill(id, signal: SIGKILL, all: true)
        if let pid, (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("conmon") == true {
            Glibc.kill(pid, SIGKILL)
        }
    }
}

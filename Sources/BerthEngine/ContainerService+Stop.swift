import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

/// Signal names as Docker takes them: `SIGTERM`, `TERM`, `15`.
public enum Signals {
    static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
        "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19,
        "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28,
        "IO": 29, "PWR": 30, "SYS": 31,
    ]

    public static func parse(_ s: String) throws -> Int32 {
        if let n = Int32(s), n > 0, n < 65 { return n }
        var name = s.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        guard let n = table[name] else { throw BerthError.invalid("invalid signal: \(s)") }
        return n
    }
}

extension ContainerService {
    /// `berth stop`: the stop signal, then SIGKILL after the timeout. Emits kill, die, stop.
    public func stop(_ ref: String, timeout: Int?) async throws {
        let (c, ticket, seconds) = try await onContainer(ref) { [self] () -> (ContainerRecord, ExitTicket?, Int) in
            let c = try cancelPendingRestart(try store.read { db in try ContainerQueries.resolve(db, ref) })
            let req = try JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8))
            let seconds = timeout ?? req.StopTimeout ?? 10
            guard c.isRunning else { return (c, nil, seconds) }
            let ticket = waiters.register(c.id)
            let sig = try Signals.parse(req.StopSignal ?? "SIGTERM")
            try signal(c, sig)
            return (c, ticket, seconds)
        }
        guard let ticket else { throw BerthError(.notModified, "container already stopped") }
        await waitOrKill(c, ticket: ticket, seconds: seconds)
        try await worker.container(c.id) { [self] in
            try store.write { db in try event(db, c, "stop") }
        }
    }

    /// Waits for the exit; after `seconds`, SIGKILL (and a monitor check) until it comes.
    func waitOrKill(_ c: ContainerRecord, ticket: ExitTicket, seconds: Int) async {
        await withTaskGroup(of: Void.self) { g in
            g.addTask { _ = await ticket.wait() }
            g.addTask { [self] in
                // Docker: a negative timeout waits for ever.
                if seconds < 0 { while !Task.isCancelled { try? await Task.sleep(nanoseconds: 3_600_000_000_000) } }
                if seconds > 0 { try? await Task.sleep(nanoseconds: Checked.sleepNanos(seconds: Int64(seconds))) }
                if Task.isCancelled { return }
                try? await worker.container(c.id) { [self] in try signal(c, SIGKILL) }
                // If the monitor is gone too, no exit file will ever come.
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 500_000_000)
                    if Task.isCancelled { return }
                    if let pid = c.conmonPid, !ProcStat.isSame(Int32(pid), startTime: c.conmonStartTime) {
                        try? await worker.container(c.id) { [self] in try processExit(c.id, reason: "the container's monitor (conmon) exited without an exit file") }
                        return
                    }
                }
            }
            await g.next()
            g.cancelAll()
            await g.waitForAll()
        }
    }

    /// Sends a signal through runc and records the user's intent (no restart) with a kill event.
    func signal(_ c: ContainerRecord, _ sig: Int32) throws {
        if try store.read({ db in try ContainerQueries.get(db, id: c.id)?.state }) == .paused {
            try thaw(c)
        }
        try store.write { db in
            try ContainerStore.markStoppedByUser(db, id: c.id)
            try event(db, c, "kill", ["signal": String(sig)])
        }
        do {
            try runc.kill(c.id, signal: sig, all: sig == SIGKILL)
        } catch {
            // Already gone between our check and the signal: its exit is on the way.
            if runc.state(c.id)?.status == "running" { throw error }
        }
    }

    /// `berth kill`. As Docker, SIGKILL is answered once the container has stopped (a client
    /// may remove it next); other signals at once.
    public func kill(_ ref: String, signal sigName: String?) async throws {
        let (c, ticket) = try await onContainer(ref) { [self] () -> (ContainerRecord, ExitTicket?) in
            let c = try cancelPendingRestart(try store.read { db in try ContainerQueries.resolve(db, ref) })
            let sig = try Signals.parse(sigName ?? "SIGKILL")
            guard c.isRunning else {
                throw BerthError.conflict("cannot kill container: \(ref): container \(c.id) is not running")
            }
            let ticket = sig == SIGKILL ? waiters.register(c.id) : nil
            try signal(c, sig)
            return (c, ticket)
        }
        if let ticket { await waitOrKill(c, ticket: ticket, seconds: 10) }
    }

    /// `berth wait`: the exit code of the next exit, or the last one if not running.
    public func wait(_ ref: String, nextExit: Bool = false) async throws -> Int64 {
        await (try await waitHandle(ref, condition: nextExit ? "next-exit" : nil))()
    }

    /// A ticket for `id`'s next exit (for followers that also do other work while waiting).
    public func exitTicket(_ id: String) -> ExitTicket { waiters.register(id) }

    /// Registers the wait now and returns what to await: the caller may act (start) in between
    /// without missing the exit.
    /// `condition`: Docker's `not-running` (default), `next-exit`, or `removed` (`run --rm`:
    /// a container that has not run yet is waited for, its removal follows its exit).
    public func waitHandle(_ ref: String, condition: String?) async throws -> @Sendable () async -> Int64 {
        let (c, ticket) = try await onContainer(ref) { [self] () -> (ContainerRecord, ExitTicket) in
            let c = try store.read { db in try ContainerQueries.resolve(db, ref) }
            return (c, waiters.register(c.id))
        }
        let nextExit = condition == "next-exit" || (condition == "removed" && c.state == .created)
        if !nextExit && !c.isRunning {
            let code = c.exitCode ?? 0
            return { code }
        }
        return { await ticket.wait() }
    }

    /// `berth rm`.
    public func remove(_ ref: String, force: Bool, volumes: Bool) async throws {
        let (c, ticket) = try await onContainer(ref) { [self] () -> (ContainerRecord, ExitTicket?) in
            var c = try store.read { db in try ContainerQueries.resolve(db, ref) }
            if force { c = try cancelPendingRestart(c) }
            guard c.isRunning else {
                try removeSync(c.id, force: force, volumes: volumes)
                return (c, nil)
            }
            guard force else {
                throw BerthError.conflict("cannot remove container \"\(ref)\": container is running: stop the container before removing or force remove")
            }
            let t = waiters.register(c.id)
            try signal(c, SIGKILL)
            return (c, t)
        }
        guard let ticket else { return }
        await waitOrKill(c, ticket: ticket, seconds: 10)
        try await worker.container(c.id) { [self] in
            if try store.read({ db in try ContainerQueries.get(db, id: c.id) }) != nil {
                try removeSync(c.id, force: true, volumes: volumes)
            }
        }
    }

    /// Removes a stopped container: marked `removing` first, files next, then the row and its
    /// destroy event; a crash in between is finished by recovery.
    func removeSync(_ id: String, force: Bool, volumes: Bool, runcState: Bool = true, marked: Bool = false) throws {
        guard let c = try store.read({ db in try ContainerQueries.get(db, id: id) }) else { return }
        let anonymous = try (marked ? store.read : store.write) { db -> [String] in
            if !marked { try ContainerStore.markRemoving(db, ids: [id]) }
            return volumes ? try ContainerStore.anonymousVolumes(db, ids: [id]) : []
        }
        cleanupRuntime(id, runcState: runcState)
        execs.removeAll(containers: [id])
        backoff.forget(id)
        // Renamed aside in one step and deleted after the answer (tmp/ is emptied at start).
        let trash = paths.tmp + "/trash-" + id
        if Glibc.rename(files(id).dir, trash) == 0 {
            DispatchQueue.global(qos: .utility).async { FileOps.removeTree(trash) }
        } else {
            FileOps.removeTree(files(id).dir)
        }
        let gone = try store.write { db in
            try ContainerStore.delete(db, ids: [id])
            try event(db, c, "destroy")
            return try VolumeStore.deleteIfUnused(db, anonymous)
        }
        for v in gone { FileOps.removeTree(paths.volumes + "/" + v) }
    }
}

import BerthCore
import BerthImage
import BerthNetwork
import BerthRuntime
import BerthStore
import Foundation
import Logging
import Synchronization

/// The container lifecycle: create, start, stop, kill, wait, remove, and the exits conmon
/// reports. Every state change is written with its event in one transaction.
public final class ContainerService: Sendable {
    public let store: Store
    public let paths: BerthPaths
    let runc: Runc
    let conmon: Conmon
    /// Per-container serial lanes under a host-wide read/write lock (see `EngineLocks`).
    let worker = EngineLocks()
    let waiters = ExitWaiters()
    let pendingAttaches = PendingAttaches()
    let execs = ExecSessions()
    let backoff = RestartBackoff()
    let healthMonitors = HealthMonitors()
    let rootfsMounts = RootfsMounts()
    let keeper = BridgeKeeper()
    let loopbackProxies: LoopbackProxies
    /// A rootless berthd's network namespace (bridges, netavark, aardvark); nil as root.
    let rootlessNetns: RootlessNetns?
    /// Bridge networking: netavark with its state under the runroot.
    let netavark: Netavark
    /// Keeps `max-file` rotated logs (nil if inotify could not be had: one file then).
    let logRotator = try? LogRotator()
    let logger: Logger
    let bootID: String
    public let exitDir: String
    /// BERTH_SECCOMP_COMPAT32=1: 32-bit syscall ABIs allowed in containers (off by default).
    let seccompCompat32 = ProcessInfo.processInfo.environment["BERTH_SECCOMP_COMPAT32"] == "1"

    /// berthd's log options, for containers that set none.
    let logDefaults: LogOptions

    public init(
        store: Store, paths: BerthPaths, logger: Logger = Logger(label: "berth.containers"),
        logDefaults: LogOptions = LogOptions(), rootlessNetns: RootlessNetns? = nil
    ) {
        self.logDefaults = logDefaults
        self.store = store
        self.paths = paths
        self.runc = Runc(root: paths.runroot + "/runc")
        self.conmon = Conmon(runc: runc)
        self.logger = logger
        self.bootID = ProcStat.bootID()
        self.exitDir = paths.runroot + "/exits"
        self.rootlessNetns = rootlessNetns
        self.netavark = Netavark(configDir: paths.runroot + "/netavark", rootless: rootlessNetns)
        self.loopbackProxies = LoopbackProxies(targetNetns: rootlessNetns)
    }

    /// Per-container files.
    struct Files {
        let dir: String
        var bundle: String { dir }
        var config: String { dir + "/config.json" }
        var rootfs: String { dir + "/rootfs" }
        var upper: String { dir + "/upper" }
        var work: String { dir + "/work" }
        var persist: String { dir + "/persist" }
        var log: String { dir + "/ctr.log" }
        var conmonLog: String { dir + "/conmon.log" }
        var hosts: String { dir + "/hosts" }
        var hostname: String { dir + "/hostname" }
        var resolv: String { dir + "/resolv.conf" }
    }

    func files(_ id: String) -> Files { Files(dir: paths.containers + "/" + id) }
    func runDir(_ id: String) -> String { paths.runroot + "/" + id }

    func conmonFiles(_ id: String) -> Conmon.Files {
        let f = files(id)
        return Conmon.Files(
            bundle: f.bundle, logPath: f.log, persistDir: f.persist, exitDir: exitDir,
            pidFile: runDir(id) + "/pidfile", conmonPidFile: runDir(id) + "/conmon.pid",
            socketDir: paths.runroot + "/socket", conmonLog: f.conmonLog)
    }

    /// Event attributes Docker gives container events: name, image and labels.
    func attributes(_ db: StoreTransaction, _ c: ContainerRecord, _ extra: [String: String] = [:]) throws -> [String: String] {
        var a = try ContainerQueries.labels(db, id: c.id)
        a["name"] = c.name
        a["image"] = c.imageRef
        for (k, v) in extra { a[k] = v }
        return a
    }

    func event(
        _ db: StoreTransaction, _ c: ContainerRecord, _ action: String, _ extra: [String: String] = [:],
        time: Int64 = Clock.nowNanos()
    ) throws {
        try Events.append(
            db, type: "container", action: action, actorID: c.id, actorName: c.name,
            attributes: try attributes(db, c, extra), time: time)
    }

    public func get(_ ref: String) throws -> ContainerRecord {
        try store.read { db in try ContainerQueries.resolve(db, ref) }
    }

    /// Runs `body` in `ref`'s lane (resolved first: an unknown name fails at once, waiting
    /// on nothing).
    func onContainer<T: Sendable>(_ ref: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await worker.container(try get(ref).id, body)
    }
}

/// A promise of one container's next exit code, taken before the action that ends it so the
/// exit cannot slip by unseen. Any number of waits may be pending on it.
public final class ExitTicket: Sendable {
    private struct State {
        var result: Int64?
        var waiting: [UInt64: CheckedContinuation<Int64?, Never>] = [:]
        var nextKey: UInt64 = 0
    }
    private let state = Mutex(State())

    func resolve(_ code: Int64) {
        let all = state.withLock { s in
            if s.result == nil { s.result = code }
            defer { s.waiting = [:] }
            return s.waiting
        }
        for c in all.values { c.resume(returning: code) }
    }

    private func expire(_ key: UInt64) {
        state.withLock { $0.waiting.removeValue(forKey: key) }?.resume(returning: nil)
    }

    /// The exit code, once the container exited.
    public func wait() async -> Int64 {
        while true {
            if let code = await wait(timeoutNanos: nil) { return code }
        }
    }

    /// The exit code, or nil if none came within the timeout.
    public func wait(timeoutNanos: UInt64?) async -> Int64? {
        await withCheckedContinuation { (c: CheckedContinuation<Int64?, Never>) in
            let key: UInt64? = state.withLock { s in
                if s.result != nil { return nil }
                let key = s.nextKey
                s.nextKey += 1
                s.waiting[key] = c
                return key
            }
            guard let key else {
                c.resume(returning: state.withLock { $0.result })
                return
            }
            if let timeoutNanos {
                Task {
                    try? await Task.sleep(nanoseconds: timeoutNanos)
                    self.expire(key)
                }
            }
        }
    }
}

/// Tickets by container id.
final class ExitWaiters: Sendable {
    private let tickets = Mutex<[String: [ExitTicket]]>([:])

    func register(_ id: String) -> ExitTicket {
        let t = ExitTicket()
        tickets.withLock { $0[id, default: []].append(t) }
        return t
    }

    func notify(_ id: String, code: Int64) {
        for t in tickets.withLock({ $0.removeValue(forKey: id) }) ?? [] { t.resolve(code) }
    }
}

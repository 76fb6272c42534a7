import BerthCore
import BerthImage
import BerthRuntime
import BerthStore
import Foundation
import GRDB
import Logging

/// The container lifecycle: create, start, stop, kill, wait, remove, and the exits conmon
/// reports. Every state change is written with its event in one transaction.
public final class ContainerService: Sendable {
    public let store: Store
    public let paths: BerthPaths
    let runc: Runc
    let conmon: Conmon
    let worker = SerialWorker(label: "berth.containers")
    let waiters = ExitWaiters()
    let logger: Logger
    let bootID: String
    public let exitDir: String

    public init(store: Store, paths: BerthPaths, logger: Logger = Logger(label: "berth.containers")) {
        self.store = store
        self.paths = paths
        self.runc = Runc(root: paths.runroot + "/runc")
        self.conmon = Conmon(runc: runc)
        self.logger = logger
        self.bootID = ProcStat.bootID()
        self.exitDir = paths.runroot + "/exits"
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
        return Conmon.Files(bundle: f.bundle, logPath: f.log, persistDir: f.persist, exitDir: exitDir,
                            pidFile: runDir(id) + "/pidfile", conmonPidFile: runDir(id) + "/conmon.pid",
                            socketDir: paths.runroot + "/socket", conmonLog: f.conmonLog)
    }

    /// Event attributes Docker gives container events: name, image and labels.
    func attributes(_ db: Database, _ c: ContainerRecord, _ extra: [String: String] = [:]) throws -> [String: String] {
        var a = try ContainerQueries.labels(db, id: c.id)
        a["name"] = c.name
        a["image"] = c.imageRef
        for (k, v) in extra { a[k] = v }
        return a
    }

    func event(_ db: Database, _ c: ContainerRecord, _ action: String, _ extra: [String: String] = [:],
               time: Int64 = Clock.nowNanos()) throws {
        try Events.append(db, type: "container", action: action, actorID: c.id, actorName: c.name,
                          attributes: try attributes(db, c, extra), time: time)
    }

    public func get(_ ref: String) throws -> ContainerRecord {
        try store.read { db in try ContainerQueries.resolve(db, ref) }
    }
}

/// A promise of one container's next exit code, taken before the action that ends it so the
/// exit cannot slip by unseen.
final class ExitTicket: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Int64?
    private var continuation: CheckedContinuation<Int64, Never>?

    func resolve(_ code: Int64) {
        lock.lock()
        if let c = continuation {
            continuation = nil
            lock.unlock()
            c.resume(returning: code)
        } else {
            if result == nil { result = code }
            lock.unlock()
        }
    }

    func wait() async -> Int64 {
        await withCheckedContinuation { c in
            lock.lock()
            if let r = result {
                lock.unlock()
                c.resume(returning: r)
            } else {
                continuation = c
                lock.unlock()
            }
        }
    }
}

/// Tickets by container id.
final class ExitWaiters: @unchecked Sendable {
    private let lock = NSLock()
    private var tickets: [String: [ExitTicket]] = [:]

    func register(_ id: String) -> ExitTicket {
        let t = ExitTicket()
        lock.lock()
        tickets[id, default: []].append(t)
        lock.unlock()
        return t
    }

    func notify(_ id: String, code: Int64) {
        lock.lock()
        let list = tickets.removeValue(forKey: id) ?? []
        lock.unlock()
        for t in list { t.resolve(code) }
    }
}

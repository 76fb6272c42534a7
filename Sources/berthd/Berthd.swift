import ArgumentParser
import BerthAPI
import BerthCore
import BerthEngine
import BerthRuntime
import BerthServer
import BerthStore
import Dispatch
import Foundation
import GRDB
import Logging

/// berthd: the supervisor. The only writer of berth.db; serves the Docker Engine API.
@main
struct Berthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berthd",
        abstract: "berth's supervisor daemon: owns the database and serves the Docker Engine API.")

    @Option(name: .long, help: "Root folder for the database, images and containers (BERTH_ROOT, default /var/lib/berth).")
    var root: String?

    @Option(name: .long, help: "Runtime folder, emptied at reboot (BERTH_RUNROOT, default /run/berth).")
    var runroot: String?

    @Option(name: [.customShort("H"), .long], help: "API socket, unix:///path (BERTH_HOST, default unix://RUNROOT/berth.sock).")
    var host: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(name: .customLong("events-max-age"), help: "Keep events this long (Go duration, e.g. 720h; 0 = for ever).")
    var eventsMaxAge: String = "0"

    @Option(name: .customLong("events-max-count"), help: "Keep at most this many events (0 = no limit).")
    var eventsMaxCount: Int64 = 0

    @Option(name: .customLong("runs-max-age"), help: "Keep finished runs (container history) this long (0 = for ever).")
    var runsMaxAge: String = "0"

    @Option(name: .customLong("runs-max-count"), help: "Keep at most this many runs (0 = no limit).")
    var runsMaxCount: Int64 = 0

    @Option(name: .customLong("retention-interval"), help: "How often history is pruned (Go duration).")
    var retentionInterval: String = "10m"

    @Option(name: .customLong("log-max-size"), help: "Containers' logs start afresh past this size unless they set --log-opt max-size (e.g. 100m; 0 = no cap).")
    var logMaxSize: String = "100m"

    @Flag(name: .customLong("rebuild-db"), help: "Set the database aside and build a new one from the images, containers and volumes under the root.")
    var rebuildDB = false

    @Option(name: .customLong("max-connections"), help: "API connections open at once, at most.")
    var maxConnections: Int = 1024

    @Option(name: .customLong("idle-timeout"), help: "Close an API connection idle (or stalled mid-request) this long (Go duration).")
    var idleTimeout: String = "2m"

    func connectionLimits() throws -> ConnectionLimits {
        var l = ConnectionLimits()
        guard maxConnections > 0 else { throw BerthError.invalid("--max-connections must be positive") }
        guard let idle = Clock.parseGoDuration(idleTimeout), idle >= 1_000_000 else {
            throw BerthError.invalid("invalid --idle-timeout: \(idleTimeout)")
        }
        l.maxConnections = maxConnections
        l.idleTimeout = .nanoseconds(idle)
        return l
    }

    func retention() throws -> (RetentionPolicy, Int64) {
        var p = RetentionPolicy()
        for (text, flag, assign) in [(eventsMaxAge, "--events-max-age", { (v: Int64) in p.eventsMaxAge = v }),
                                     (runsMaxAge, "--runs-max-age", { (v: Int64) in p.runsMaxAge = v })] as [(String, String, (Int64) -> Void)] {
            guard let v = Clock.parseGoDuration(text), v >= 0 else { throw BerthError.invalid("invalid \(flag): \(text)") }
            assign(v)
        }
        guard eventsMaxCount >= 0, runsMaxCount >= 0 else { throw BerthError.invalid("counts must not be negative") }
        p.eventsMaxCount = eventsMaxCount
        p.runsMaxCount = runsMaxCount
        guard let every = Clock.parseGoDuration(retentionInterval), every > 0 else {
            throw BerthError.invalid("invalid --retention-interval: \(retentionInterval)")
        }
        return (p, every)
    }

    func run() async throws {
        BerthLogging.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
        let logger = Logger(label: "berthd")
        do {
            try await serve(logger: logger)
        } catch let e as BerthError {
            FileHandle.standardError.write(Data("berthd: \(e.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    func serve(logger: Logger) async throws {
        let paths = BerthPaths.resolve(root: root, runroot: runroot)
        let (policy, every) = try retention()
        let limits = try connectionLimits()
        // Descriptors for connections, containers' sockets and logs: the soft limit up to the hard one.
        var nofile = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max {
            nofile.rlim_cur = nofile.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &nofile)
        }
        let env = ProcessInfo.processInfo.environment
        let socket: String
        if let h = host ?? env["BERTH_HOST"] {
            socket = try HostAddress.socketPath(h)
        } else {
            socket = paths.defaultSocket
        }
        try FileOps.makeDirs(paths.root, mode: 0o711)
        RootPermissions.secure(paths)
        let lock = try DaemonLock(path: paths.lockFile)
        for d in [paths.blobs, paths.layers, paths.containers, paths.volumes, paths.tmp] {
            try FileOps.makeDirs(d, mode: 0o700)
        }
        try FileOps.makeDirs(paths.runroot, mode: 0o700)
        try FileOps.makeDirs((socket as NSString).deletingLastPathComponent, mode: 0o700)

        if rebuildDB {
            for f in DatabaseRebuild.setAside(paths) { logger.notice("rebuild: the old database is kept as \(f)") }
        }
        let reserve = DiskReserve(path: paths.root + "/reserve")
        let store = try Store.openForWriting(path: paths.database, reserve: reserve)
        reserve.ensure()
        let images = ImageService(store: store, paths: paths)
        guard let logMax = Human.parseRAMBytes(logMaxSize) else { throw BerthError.invalid("invalid --log-max-size: \(logMaxSize)") }
        let containers = ContainerService(store: store, paths: paths, logDefaults: LogOptions(maxSize: logMax > 0 ? logMax : nil))
        if rebuildDB {
            let r = try DatabaseRebuild.run(images: images, containers: containers)
            logger.notice("rebuild: \(r.images) images, \(r.containers) containers, \(r.volumes) volumes restored from \(paths.root)")
        }
        let report = try images.recover(freshDatabase: store.wasCreated && !rebuildDB)
        if !report.isEmpty {
            logger.notice("start-up cleaning: \(report.tempEntries) partial files, \(report.orphanBlobs) orphaned blobs, \(report.orphanLayers) orphaned layers removed")
        }
        let daemonID = try store.write { db -> String in
            if let id = try String.fetchOne(db, sql: "SELECT value FROM daemon_state WHERE key = 'daemon_id'") { return id }
            let id = Identifier.random()
            try db.execute(sql: "INSERT INTO daemon_state (key, value) VALUES ('daemon_id', ?)", arguments: [id])
            return id
        }
        // Watch for exits before looking at what happened while we were away: none slips by.
        let watcher = try ExitWatcher(dir: containers.exitDir) { id in containers.exitReported(id) }
        watcher.start()
        let recovered = try await containers.recover(freshDatabase: store.wasCreated && !rebuildDB)
        if recovered != ContainerService.ContainerRecovery() {
            logger.notice("containers: \(recovered.adopted) re-adopted, \(recovered.exitsApplied) exits applied, \(recovered.monitorLost) lost their monitor, \(recovered.rebootDied) died with a reboot, \(recovered.removalsFinished) removals finished, \(recovered.restartsResumed) restarts resumed, \(recovered.startsUndone) interrupted starts undone")
        }
        let router = EngineRouter(store: store, images: images, containers: containers, paths: paths,
                                  daemonID: daemonID, logger: logger)
        let server = APIServer(socketPath: socket, handler: router, spoolDir: paths.tmp, logger: logger, limits: limits)

        let signals = SignalWaiter(signals: [SIGTERM, SIGINT])
        try await server.start()
        try store.write { db in
            try Events.append(db, type: "daemon", action: "start", actorID: daemonID, actorName: "berthd",
                              attributes: ["pid": String(getpid())])
        }
        logger.info("berthd \(APIVersion.serverVersion) listening on unix://\(socket) (root \(paths.root))")
        // Restart policies act once berthd answers: start-up time does not grow with them.
        let policyStarts = Task.detached {
            // Forced removals a crash cut short go first: a removed container never restarts.
            let finished = await containers.finishPendingRemovals()
            if finished > 0 { logger.notice("finished \(finished) interrupted removals") }
            let p = await containers.startByPolicy()
            let died = recovered.rebootDied + recovered.exitsApplied + recovered.monitorLost
            if p.considered > 0 || died > 0 {
                logger.notice("recovered \(died + p.considered) containers: \(p.restarted) restarted, \(p.leftExited + p.failed) left exited, \(recovered.autoRemoved) removed")
                try? store.write { db in
                    try Events.append(db, type: "daemon", action: "recover", actorID: daemonID, actorName: "berthd",
                                      attributes: ["rebooted": String(recovered.rebootDied > 0), "died": String(died),
                                                   "restarted": String(p.restarted), "leftExited": String(p.leftExited + p.failed),
                                                   "removed": String(recovered.autoRemoved)])
                }
            }
        }
        // History retention, in the background: chunked deletes never hold queries up.
        let monitorSweep = containers.startMonitorSweep()
        // The WAL folded into the database now and then: a lost -wal file loses little.
        let checkpointer = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 60_000_000_000)
                if Task.isCancelled { return }
                store.checkpoint()
                reserve.ensure()
            }
        }
        let pruner = policy.isUnlimited ? nil : Task.detached {
            while !Task.isCancelled {
                do {
                    let n = try Retention.apply(store, policy)
                    if n.events + n.runs > 0 { logger.info("retention: \(n.events) events, \(n.runs) runs pruned") }
                } catch {
                    logger.warning("retention: \(error)")
                }
                try? await Task.sleep(nanoseconds: Checked.sleepNanos(every))
            }
        }
        let sig = await signals.wait()
        logger.info("signal \(sig): finishing in-flight requests")
        pruner?.cancel()
        checkpointer.cancel()
        monitorSweep.cancel()
        policyStarts.cancel()
        await server.shutdown()
        try? store.write { db in
            try Events.append(db, type: "daemon", action: "stop", actorID: daemonID, actorName: "berthd")
        }
        store.checkpoint()
        unlink(socket)
        withExtendedLifetime(lock) {}
        logger.info("berthd stopped")
    }
}

/// Turns SIGTERM/SIGINT into an awaitable value.
final class SignalWaiter: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation

    init(signals: [Int32]) {
        (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        for s in signals {
            signal(s, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: s, queue: .global())
            let c = continuation
            src.setEventHandler { c.yield(s) }
            src.resume()
            sources.append(src)
        }
    }

    func wait() async -> Int32 {
        for await s in stream { return s }
        return 0
    }
}

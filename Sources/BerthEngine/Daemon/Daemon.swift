import BerthCore
import BerthNetwork
import BerthRuntime
import BerthStore
import Foundation
import Logging
import Synchronization

/// What berthd is started with.
public struct DaemonConfig: Sendable {
    public var paths: BerthPaths
    /// The API socket's path (its folder is made here).
    public var socket: String
    public var retention = RetentionPolicy()
    /// How often retention runs, in nanoseconds.
    public var retentionInterval: Int64 = 600_000_000_000
    public var logDefaults = LogOptions()
    /// `--rebuild-db`: the database set aside and rebuilt from the root.
    public var rebuildDB = false
    /// The default `bridge` network's bridge and subnet.
    public var defaultNetwork = DefaultNetworkConfig()
    /// `--insecure-registry`: registries reached over plain HTTP (loopback ones always are).
    public var insecureRegistries: Set<String> = []
    /// `--registry-mirror`: Docker Hub mirrors, tried before the Hub.
    public var registryMirrors: [URL] = []
    /// `--certs-dir`: certs.d, Docker's layout (`HOST:PORT/ca.crt`, `client.cert`, `client.key`).
    public var certsDir = "/etc/berth/certs.d"

    public init(paths: BerthPaths, socket: String) {
        self.paths = paths
        self.socket = socket
    }
}

/// berthd's life outside the HTTP server: the root made ready (modes, lock, database,
/// rebuild), start-up cleaning and recovery before serving; restart policies, retention,
/// checkpoints and the monitor sweep while serving; a clean stop.
public final class Daemon: Sendable {
    public let config: DaemonConfig
    public let store: Store
    public let images: ImageService
    public let containers: ContainerService
    public let daemonID: String
    let recovered: ContainerService.ContainerRecovery
    let reserve: DiskReserve
    let logger: Logger
    // Kept alive for the daemon's life: the root's lock and the exit watcher.
    let lock: DaemonLock
    let watcher: ExitWatcher
    let tasks = Mutex<[Task<Void, Never>]>([])

    /// Everything before the socket answers.
    public static func prepare(_ config: DaemonConfig, logger: Logger) async throws -> Daemon {
        let paths = config.paths
        raiseDescriptorLimit()
        try FileOps.makeDirs(paths.root, mode: Int(RootPermissions.rootMode))
        RootPermissions.secure(paths)
        let lock = try DaemonLock(path: paths.lockFile)
        for d in [paths.blobs, paths.layers, paths.containers, paths.volumes, paths.tmp] {
            try FileOps.makeDirs(d, mode: 0o700)
        }
        try FileOps.makeDirs(paths.runroot, mode: 0o700)
        try FileOps.makeDirs((config.socket as NSString).deletingLastPathComponent, mode: 0o700)
        if config.rebuildDB {
            for f in DatabaseRebuild.setAside(paths) { logger.notice("rebuild: the old database is kept as \(f)") }
        }
        let reserve = DiskReserve(path: paths.root + "/reserve")
        let store = try Store.openForWriting(path: paths.database, reserve: reserve)
        reserve.ensure()
        let images = ImageService(
            store: store, paths: paths, insecureRegistries: config.insecureRegistries, registryMirrors: config.registryMirrors,
            certsDir: config.certsDir)
        if RootlessHost.active { try Mounts.probeOverlay(in: paths.tmp) }
        // Rootless: the namespace the bridges live in, made before anything starts on them.
        let rootlessNetns = RootlessHost.active ? try RootlessNetns(runroot: paths.runroot) { logger.warning("\($0)") } : nil
        let containers = ContainerService(store: store, paths: paths, logDefaults: config.logDefaults, rootlessNetns: rootlessNetns)
        if config.rebuildDB {
            let r = try DatabaseRebuild.run(images: images, containers: containers)
            logger.notice("rebuild: \(r.images) images, \(r.containers) containers, \(r.volumes) volumes restored from \(paths.root)")
        }
        // A new database keeps what it finds (lost+found) unless it was rebuilt from it.
        let fresh = store.wasCreated && !config.rebuildDB
        let report = try images.recover(freshDatabase: fresh)
        if !report.isEmpty {
            logger.notice(
                "start-up cleaning: \(report.tempEntries) partial files, \(report.orphanBlobs) orphaned blobs, \(report.orphanLayers) orphaned layers removed")
        }
        let daemonID = try store.daemonID()
        try containers.ensureDefaultNetwork(config.defaultNetwork)
        // Watch for exits before looking at what happened while we were away: none slips by.
        let watcher = try ExitWatcher(dir: containers.exitDir) { id in containers.exitReported(id) }
        watcher.start()
        let recovered = try await containers.recover(freshDatabase: fresh)
        if recovered != ContainerService.ContainerRecovery() {
            logger.notice(
                "containers: \(recovered.adopted) re-adopted, \(recovered.exitsApplied) exits applied, \(recovered.monitorLost) lost their monitor, \(recovered.rebootDied) died with a reboot, \(recovered.removalsFinished) removals finished, \(recovered.restartsResumed) restarts resumed, \(recovered.startsUndone) interrupted starts undone, \(recovered.buildStepsRemoved) build step containers removed"
            )
        }
        return Daemon(
            config: config, store: store, images: images, containers: containers, daemonID: daemonID,
            recovered: recovered, reserve: reserve, logger: logger, lock: lock, watcher: watcher)
    }

    init(
        config: DaemonConfig, store: Store, images: ImageService, containers: ContainerService, daemonID: String,
        recovered: ContainerService.ContainerRecovery, reserve: DiskReserve, logger: Logger, lock: DaemonLock,
        watcher: ExitWatcher
    ) {
        self.config = config
        self.store = store
        self.images = images
        self.containers = containers
        self.daemonID = daemonID
        self.recovered = recovered
        self.reserve = reserve
        self.logger = logger
        self.lock = lock
        self.watcher = watcher
    }

    /// Descriptors for connections, containers' sockets and logs: the soft limit up to the hard one.
    static func raiseDescriptorLimit() {
        var nofile = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max {
            nofile.rlim_cur = nofile.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &nofile)
        }
    }

    /// Once the socket answers: the start event and the background work.
    public func serving() throws {
        try store.appendEvent(
            type: "daemon", action: "start", actorID: daemonID, actorName: "berthd",
            attributes: ["pid": String(getpid())])
        let started = [policyStarts(), containers.startMonitorSweep(), checkpoints()] + (retention().map { [$0] } ?? [])
        tasks.withLock { $0 += started }
    }

    /// After the server has stopped: background work ends, the stop event, the WAL folded in.
    public func stop() {
        for t in tasks.withLock({ $0 }) { t.cancel() }
        containers.releaseBridges()
        try? store.appendEvent(type: "daemon", action: "stop", actorID: daemonID, actorName: "berthd")
        store.checkpoint()
        withExtendedLifetime((lock, watcher)) {}
    }
}

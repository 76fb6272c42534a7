import ArgumentParser
import BerthAPI
import BerthCore
import BerthEngine
import BerthNetwork
import BerthRuntime
import BerthServer
import BerthStore
import Dispatch
import Foundation
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

    @Option(name: .customLong("insecure-registry"), help: "A registry (host[:port]) to reach over plain HTTP; loopback ones always are.")
    var insecureRegistry: [String] = []
    @Option(name: .customLong("registry-mirror"), help: "A Docker Hub mirror (http[s]://host[:port]), tried before the Hub.")
    var registryMirror: [String] = []
    @Option(
        name: .customLong("config-file"),
        help: "Daemon configuration in Docker's daemon.json keys (insecure-registries, registry-mirrors); default /etc/berth/daemon.json when it exists.")
    var configFile: String?
    @Option(name: .customLong("certs-dir"), help: "Per-registry TLS: HOST[:PORT]/*.crt CAs, NAME.cert with NAME.key a client certificate (Docker's certs.d).")
    var certsDir: String = "/etc/berth/certs.d"

    @Option(name: .customLong("bridge-name"), help: "The host bridge of the default network (Docker's docker0).")
    var bridgeName: String = "berth0"

    @Option(name: .customLong("default-subnet"), help: "The default network's subnet, e.g. 10.89.0.0/24 (default: a free one, chosen once).")
    var defaultSubnet: String?

    @Option(name: .customLong("bip"), help: "The default bridge's address and prefix, e.g. 10.89.0.1/24 (instead of --default-subnet).")
    var bip: String?

    func defaultNetwork() throws -> DefaultNetworkConfig {
        var n = DefaultNetworkConfig()
        guard DefaultNetworkConfig.validBridgeName(bridgeName) else { throw BerthError.invalid("invalid --bridge-name: \(bridgeName)") }
        n.bridge = bridgeName
        if bip != nil && defaultSubnet != nil { throw BerthError.invalid("--bip and --default-subnet cannot be used together") }
        if let s = defaultSubnet {
            guard let subnet = Subnet(s), subnet.prefix <= 30 else { throw BerthError.invalid("invalid --default-subnet: \(s)") }
            n.subnet = subnet
        }
        if let b = bip {
            let (s, g) = try DefaultNetworkConfig.parseBIP(b)
            n.subnet = s
            n.gateway = g
        }
        return n
    }

    @Option(name: .customLong("metrics-addr"), help: "Also serve GET /metrics (Prometheus) on this loopback HOST:PORT, e.g. 127.0.0.1:9323.")
    var metricsAddr: String?

    @Option(name: .customLong("web-addr"), help: "Serve the read-only history page on this HOST:PORT (loopback only, e.g. 127.0.0.1:8080).")
    var webAddr: String?

    @Flag(name: .customLong("web-addr-insecure"), help: "Allow --web-addr on a non-loopback address (the page has no authentication).")
    var webAddrInsecure = false

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
        for (text, flag, assign) in [
            (eventsMaxAge, "--events-max-age", { (v: Int64) in p.eventsMaxAge = v }),
            (runsMaxAge, "--runs-max-age", { (v: Int64) in p.runsMaxAge = v }),
        ] as [(String, String, (Int64) -> Void)] {
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
        // Absolute already (BerthPaths makes them so): berthd moves into its tmp below.
        let paths = BerthPaths.resolve(root: root, runroot: runroot, daemon: true)
        let socket = BerthPaths.absolute(try (host ?? ProcessInfo.processInfo.environment["BERTH_HOST"]).map(HostAddress.socketPath) ?? paths.defaultSocket)
        // An ordinary user's berthd goes on inside berth's user namespace (a new process image).
        try RootlessEntry.enterIfNeeded(paths: paths, socket: socket)
        // What libraries write to TMPDIR stays there when berthd is killed: its own tmp is
        // emptied at every start.
        try FileOps.makeDirs(paths.tmp, mode: 0o700)
        setenv("TMPDIR", paths.tmp, 1)
        // berthd and every child it starts work in a folder berth owns, never wherever berthd
        // was started (under systemd, "/"): a stray file a helper writes stays in berth's tmp.
        guard chdir(paths.tmp) == 0 else { throw BerthError.posix("chdir \(paths.tmp)") }
        var config = DaemonConfig(paths: paths, socket: socket)
        (config.retention, config.retentionInterval) = try retention()
        guard let logMax = Human.parseRAMBytes(logMaxSize) else { throw BerthError.invalid("invalid --log-max-size: \(logMaxSize)") }
        config.logDefaults = LogOptions(maxSize: logMax > 0 ? logMax : nil)
        config.rebuildDB = rebuildDB
        config.defaultNetwork = try defaultNetwork()
        let file = try DaemonFile.load(configFile)
        try file?.checkConflicts(
            ["insecure-registries": !insecureRegistry.isEmpty, "registry-mirrors": !registryMirror.isEmpty],
            file: configFile ?? DaemonFile.defaultPath)
        config.insecureRegistries = Set(file?.insecureRegistries ?? insecureRegistry)
        config.certsDir = certsDir
        config.registryMirrors = try (file?.registryMirrors ?? registryMirror).map { text in
            guard let u = URL(string: text), u.scheme == "http" || u.scheme == "https", u.host != nil, u.path.isEmpty || u.path == "/" else {
                throw BerthError.invalid("invalid --registry-mirror \(text): give http[s]://host[:port]")
            }
            return u
        }
        let limits = try connectionLimits()

        let metricsListen = try metricsAddr.map { try TCPAddress.parse($0, flag: "--metrics-addr") }
        let webListen = try webAddr.map { try TCPAddress.parse($0, flag: "--web-addr", insecure: webAddrInsecure) }
        let daemon = try await Daemon.prepare(config, logger: logger)
        let router = EngineRouter(
            store: daemon.store, images: daemon.images, containers: daemon.containers, paths: paths,
            daemonID: daemon.daemonID, logger: logger)
        let server = APIServer(socketPath: socket, handler: router, spoolDir: paths.tmp, logger: logger, limits: limits)
        // TCP listeners answer only their own paths: nothing else of the API leaves the socket.
        var extra: [APIServer] = []
        if let (host, port) = metricsListen {
            extra.append(
                APIServer(
                    listen: .tcp(host: host, port: port), handler: PathFilter(router) { $0 == "/metrics" }, spoolDir: paths.tmp,
                    logger: logger, limits: limits))
        }
        if let (host, port) = webListen {
            extra.append(
                APIServer(
                    listen: .tcp(host: host, port: port), handler: HistoryWeb(store: daemon.store, containersDir: paths.containers),
                    spoolDir: paths.tmp, logger: logger, limits: limits))
        }
        let signals = SignalWaiter(signals: [SIGTERM, SIGINT])
        try await server.start()
        for s in extra { try await s.start() }
        try daemon.serving()
        logger.info("berthd \(APIVersion.serverVersion) listening on unix://\(socket) (root \(paths.root))")
        let sig = await signals.wait()
        logger.info("signal \(sig): finishing in-flight requests")
        for s in extra { await s.shutdown() }
        await server.shutdown()
        daemon.stop()
        unlink(socket)
        logger.info("berthd stopped")
    }
}

/// Turns SIGTERM/SIGINT into an awaitable value.
// @unchecked: the signal sources are made in init and never changed.
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

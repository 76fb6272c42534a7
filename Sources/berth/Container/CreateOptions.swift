import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// The flags of `berth create` and `berth run` (Docker's names).
struct CreateOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Assign a name to the container.") var name: String?
    @Option(name: .shortAndLong, help: "Set environment variables (K=V, or K to take it from here).") var env: [String] = []
    @Option(name: .customLong("env-file"), help: "Read in a file of environment variables.") var envFile: [String] = []
    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.") var workdir: String?
    @Option(name: .shortAndLong, help: "Username or UID (format: <name|uid>[:<group|gid>]).") var user: String?
    @Option(name: .long, help: "Overwrite the default ENTRYPOINT of the image.") var entrypoint: String?
    @Option(name: [.customShort("h"), .long], help: "Container host name.") var hostname: String?
    @Option(name: [.customShort("v"), .long], help: "Bind mount a volume (/host:/ctr[:ro], name:/ctr, /ctr).") var volume: [String] = []
    @Option(name: .long, help: "Attach a filesystem mount (type=bind|volume|tmpfs,source=…,target=…[,readonly]).") var mount: [String] = []
    @Option(name: .long, help: "Mount a tmpfs directory (/path[:options]).") var tmpfs: [String] = []
    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem as read only.") var readOnly = false
    @Option(name: [.customShort("l"), .long], help: "Set meta data on a container (k=v).") var label: [String] = []
    @Option(name: .customLong("stop-signal"), help: "Signal to stop the container.") var stopSignal: String?
    @Option(name: .customLong("stop-timeout"), help: "Timeout (in seconds) to stop a container.") var stopTimeout: Int?
    @Option(name: .customLong("log-driver"), help: "Logging driver for the container (json-file, k8s-file, local).") var logDriver: String?
    @Option(name: .customLong("log-opt"), help: "Log driver options (max-size=10m).") var logOpt: [String] = []
    @Option(name: [.customShort("m"), .long], help: "Memory limit (e.g. 512m, 1g).") var memory: String?
    @Option(name: .long, help: "Number of CPUs.") var cpus: Double?
    @Option(name: .customLong("pids-limit"), help: "Tune container pids limit.") var pidsLimit: Int64?
    @Option(name: .customLong("cap-add"), help: "Add Linux capabilities.") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop Linux capabilities.") var capDrop: [String] = []
    @Flag(name: .long, help: "Give extended privileges to this container.") var privileged = false
    @Flag(name: .long, help: "Run an init inside the container that forwards signals and reaps processes.") var `init` = false
    @Option(name: .long, help: "Restart policy: no, always, unless-stopped, on-failure[:N].") var restart: String?
    @Flag(name: .long, help: "Automatically remove the container when it exits.") var rm = false
    @Option(name: .long, help: "Network: bridge (default), none or host.") var network: String?
    @Option(name: [.customShort("p"), .long], help: "Publish a container's port(s) to the host: [ip:][hostPort:]containerPort[/proto].") var publish: [String] =
        []
    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish all exposed ports to random ports.") var publishAll = false
    @Option(name: .long, help: "Expose a port or a range of ports.") var expose: [String] = []
    @Option(name: .long, help: "Add link to another container (name[:alias]).") var link: [String] = []
    @Option(name: .customLong("add-host"), help: "Add a custom host-to-IP mapping (host:ip, or host:host-gateway).") var addHost: [String] = []
    @Option(name: .long, help: "Set custom DNS servers.") var dns: [String] = []
    @Option(name: .customLong("dns-search"), help: "Set custom DNS search domains.") var dnsSearch: [String] = []
    @Option(name: .customLong("dns-option"), help: "Set DNS options.") var dnsOption: [String] = []
    @Option(name: .customLong("network-alias"), help: "Add network-scoped alias for the container.") var networkAlias: [String] = []
    @Option(name: .long, help: "IPv4 address (e.g., 172.30.100.104).") var ip: String?
    @Option(name: .customLong("mac-address"), help: "Container MAC address (e.g., 92:d0:c6:0a:29:33).") var macAddress: String?
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached.") var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY.") var tty = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container (default ctrl-p,ctrl-q).") var detachKeys: String?
    @Option(name: .customLong("health-cmd"), help: "Command to run to check health.") var healthCmd: String?
    @Option(name: .customLong("health-interval"), help: "Time between running the check (ms|s|m|h), default 30s.") var healthInterval: String?
    @Option(name: .customLong("health-timeout"), help: "Maximum time to allow one check to run, default 30s.") var healthTimeout: String?
    @Option(name: .customLong("health-retries"), help: "Consecutive failures needed to report unhealthy.") var healthRetries: Int?
    @Option(name: .customLong("health-start-period"), help: "Start period for the container to initialize before failures count.") var healthStartPeriod:
        String?
    @Flag(name: .customLong("no-healthcheck"), help: "Disable any container-specified HEALTHCHECK.") var noHealthcheck = false
    @Option(name: .customLong("sig-proxy"), help: "Proxy received signals to the process (true|false).") var sigProxy: Bool = true
    @Option(name: .long, help: "Pull image before running (always, missing, never).") var pull: String = "missing"
    @Option(name: .customLong("shm-size"), help: "Size of /dev/shm (e.g. 128m).") var shmSize: String?
    @Option(name: .customLong("group-add"), help: "Add additional groups to join.") var groupAdd: [String] = []
    @Option(name: .long, help: "Sysctl options (k=v).") var sysctl: [String] = []
    @Option(name: .long, help: "Ulimit options (name=soft[:hard]).") var ulimit: [String] = []
    @Option(name: .customLong("security-opt"), help: "Security options (no-new-privileges, seccomp=unconfined|FILE, label=…).")
    var securityOpt: [String] = []
    @Option(name: .long, help: "PID namespace to use (host, container:NAME).") var pid: String?
    @Option(name: .long, help: "IPC mode to use (private, shareable, host, container:NAME).") var ipc: String?
    @Option(name: .long, help: "UTS namespace to use (host).") var uts: String?
    @Option(name: [.customShort("c"), .customLong("cpu-shares")], help: "CPU shares (relative weight).") var cpuShares: Int64?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs in which to allow execution (0-3, 0,1).") var cpusetCpus: String?
    @Option(name: .customLong("memory-swap"), help: "Swap limit equal to memory plus swap: -1 for unlimited.") var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit.") var memoryReservation: String?
    @Flag(name: .customLong("oom-kill-disable"), help: "Disable OOM Killer.") var oomKillDisable = false
    @Option(name: .customLong("volume-driver"), help: "Optional volume driver for the container (local).") var volumeDriver: String?
    @Option(name: .customLong("volumes-from"), help: "Mount volumes from the specified container(s) (CTR[:ro|rw]).") var volumesFrom: [String] = []
    @Option(name: .long, help: "Cgroup namespace to use (host, private).") var cgroupns: String?
    @Option(name: .long, help: "Add a host device to the container (/dev/x[:/dev/y[:rwm]]).") var device: [String] = []
    @Option(name: .customLong("device-cgroup-rule"), help: "Add a rule to the cgroup allowed devices list (c 1:3 mr).") var deviceCgroupRule: [String] = []
    @Option(name: .long, help: "Set platform if server is multi-platform capable (os/arch[/variant]).") var platform: String?

    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]") var imageAndCommand: [String] = []

    func request() throws -> (ContainerCreateRequest, String?) {
        guard let image = imageAndCommand.first else {
            throw CLIError(message: "\"berth run\" requires at least 1 argument.\nSee 'berth run --help'.", code: 125)
        }
        // Options come before the image: a leftover one is a flag berth does not know, not an image.
        if image.hasPrefix("-") {
            let flag = image.split(separator: "=", maxSplits: 1).first.map(String.init) ?? image
            throw CLIError(message: "unknown flag: \(flag)\nSee 'berth run --help'.", code: 125)
        }
        var req = ContainerCreateRequest()
        req.Image = image
        let cmd = Array(imageAndCommand.dropFirst())
        if !cmd.isEmpty { req.Cmd = StringOrArray(cmd) }
        if let entrypoint { req.Entrypoint = StringOrArray(entrypoint.isEmpty ? [] : [entrypoint]) }
        var envs: [String] = []
        for f in envFile { envs += try Self.readEnvFile(f) }
        for e in env {
            if e.contains("=") { envs.append(e) } else if let v = ProcessInfo.processInfo.environment[e] { envs.append(e + "=" + v) }
        }
        if !envs.isEmpty { req.Env = envs }
        req.WorkingDir = workdir
        req.User = user
        req.Hostname = hostname
        if !label.isEmpty { req.Labels = Self.pairs(label, separator: "=") }
        req.StopSignal = stopSignal
        req.StopTimeout = stopTimeout
        req.AttachStdout = true
        req.AttachStderr = true
        if interactive { req.AttachStdin = true; req.OpenStdin = true; req.StdinOnce = true }
        if noHealthcheck {
            guard healthCmd == nil else { throw CLIError(message: "--no-healthcheck conflicts with --health-* options", code: 125) }
            var h = HealthConfig()
            h.Test = ["NONE"]
            req.Healthcheck = h
        } else if healthCmd != nil || healthInterval != nil || healthTimeout != nil || healthRetries != nil || healthStartPeriod != nil {
            func duration(_ s: String?, _ flag: String) throws -> Int64? {
                guard let s else { return nil }
                guard let d = Clock.parseGoDuration(s), d >= 0 else {
                    throw CLIError(message: "invalid argument \"\(s)\" for \"--\(flag)\" flag: time: invalid duration", code: 125)
                }
                return d
            }
            var h = HealthConfig()
            if let healthCmd { h.Test = ["CMD-SHELL", healthCmd] }
            h.Interval = try duration(healthInterval, "health-interval")
            h.Timeout = try duration(healthTimeout, "health-timeout")
            h.StartPeriod = try duration(healthStartPeriod, "health-start-period")
            if let r = healthRetries, r < 0 { throw CLIError(message: "--health-retries cannot be negative", code: 125) }
            h.Retries = healthRetries
            req.Healthcheck = h
        }
        if tty { req.Tty = true }
        var host = HostConfig()
        host.Binds = volume.isEmpty ? nil : volume
        host.Mounts = try mount.isEmpty ? nil : mount.map(Self.parseMount)
        if !tmpfs.isEmpty { host.Tmpfs = Self.pairs(tmpfs, separator: ":") }
        host.ReadonlyRootfs = readOnly
        host.Memory = try memory.map(Self.parseBytes)
        host.NanoCpus = try cpus.map(Self.nanoCPUs)
        host.PidsLimit = pidsLimit
        try applyIsolation(to: &host)
        if logDriver != nil || !logOpt.isEmpty {
            var opts: [String: String] = [:]
            for o in logOpt {
                let kv = KeyValue.parse(o)
                guard let v = kv.value, !kv.key.isEmpty else { throw CLIError(message: "invalid log opt '\(o)': expected key=value", code: 125) }
                opts[kv.key] = v
            }
            host.LogConfig = .init(Type: logDriver, Config: opts)
        }
        host.CapAdd = capAdd.isEmpty ? nil : capAdd
        host.CapDrop = capDrop.isEmpty ? nil : capDrop
        host.Privileged = privileged
        host.AutoRemove = rm
        host.Init = `init` ? true : nil
        host.NetworkMode = network ?? "default"
        let (bindings, exposed) = try Self.ports(publish: publish, expose: expose)
        if !bindings.isEmpty { host.PortBindings = bindings }
        if !exposed.isEmpty { req.ExposedPorts = exposed }
        if publishAll { host.PublishAllPorts = true }
        if !link.isEmpty { host.Links = link }
        if !addHost.isEmpty { host.ExtraHosts = addHost }
        if !dns.isEmpty { host.Dns = dns }
        if !dnsSearch.isEmpty { host.DnsSearch = dnsSearch }
        if !dnsOption.isEmpty { host.DnsOptions = dnsOption }
        if !networkAlias.isEmpty || ip != nil || macAddress != nil {
            let net = network ?? "bridge"
            req.NetworkingConfig = NetworkingConfig(EndpointsConfig: [
                net: .init(
                    Aliases: networkAlias.isEmpty ? nil : networkAlias, IPAMConfig: ip.map { .init(IPv4Address: $0) },
                    MacAddress: macAddress)
            ])
        }
        if let restart {
            let parts = restart.split(separator: ":", maxSplits: 1).map(String.init)
            guard ["no", "always", "unless-stopped", "on-failure"].contains(parts[0]),
                parts.count == 1 || (parts[0] == "on-failure" && Int(parts[1]) != nil)
            else {
                throw CLIError(message: "invalid restart policy format: \(restart)", code: 125)
            }
            host.RestartPolicy = .init(Name: parts[0], MaximumRetryCount: parts.count > 1 ? Int(parts[1]) : nil)
        }
        req.HostConfig = host
        return (req, name)
    }

    /// `k=v` (or `/path:opts`) flags as a map; a key alone maps to "".
    static func pairs(_ items: [String], separator: Character) -> [String: String] {
        var out: [String: String] = [:]
        for x in items {
            let kv = x.split(separator: separator, maxSplits: 1).map(String.init)
            guard let k = kv.first else { continue }
            out[k] = kv.count > 1 ? kv[1] : ""
        }
        return out
    }

    /// Docker's env files: K=V per line, `#` comments, no quotes or interpolation.
    static func readEnvFile(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CLIError(message: "open \(path): no such file or directory", code: 125)
        }
        var out: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.contains("=") {
                out.append(String(line.drop(while: { $0 == " " })))
            } else if let v = ProcessInfo.processInfo.environment[line] {
                out.append(line + "=" + v)
            }
        }
        return out
    }

    /// `512m`, `1g`, `100k`, `1024`.
    /// `--cpus 1.5` in Docker's NanoCpus.
    static func nanoCPUs(_ cpus: Double) throws -> Int64 {
        guard cpus.isFinite, cpus >= 0, let n = Checked.int64((cpus * 1e9).rounded()) else {
            throw CLIError(message: "invalid argument \"\(cpus)\" for \"--cpus\" flag: value out of range", code: 125)
        }
        return n
    }

    static func parseBytes(_ s: String) throws -> Int64 {
        guard let n = Human.parseRAMBytes(s) else { throw CLIError(message: "invalid size: '\(s)'", code: 125) }
        return n
    }

    static func parseMount(_ s: String) throws -> HostConfig.Mount {
        var m = HostConfig.Mount(Type: "volume", Source: nil, Target: nil, ReadOnly: false)
        for field in s.split(separator: ",") {
            let kv = KeyValue.parse(String(field))
            switch kv.key {
            case "type": m.Type = kv.value
            case "source", "src": m.Source = kv.value
            case "target", "destination", "dst": m.Target = kv.value
            case "readonly", "ro": m.ReadOnly = kv.value == nil || kv.value == "true" || kv.value == "1"
            case "volume-nocopy":
                m.VolumeOptions = .init(NoCopy: kv.value == nil || kv.value == "true" || kv.value == "1")
            case "bind-propagation": m.BindOptions = .init(Propagation: kv.value)
            case "volume-driver":
                var o = m.VolumeOptions ?? .init()
                o.DriverConfig = .init(Name: kv.value, Options: nil)
                m.VolumeOptions = o
            default: throw CLIError(message: "invalid field '\(field)' must be a key=value pair", code: 125)
            }
        }
        return m
    }

    /// Creates the container; returns its id.
    func create(_ client: APIClient) async throws -> String {
        let (req, name) = try request()
        var q: [(String, String)] = []
        if let name { q.append(("name", name)) }
        let body = try JSONEncoder().encode(req)
        guard ["always", "missing", "never"].contains(pull) else {
            throw CLIError(message: "invalid pull option: '\(pull)': must be one of \"always\", \"missing\" or \"never\"", code: 125)
        }
        let image = req.Image ?? ""
        func fetch() async throws {
            do {
                try await Pull.pull(client, image, quiet: false, printName: false, platform: platform, to: Out.err)
            } catch let e as BerthError where e.code != .unavailable {
                throw CLIError(message: "berth: Error response from daemon: \(e.message).", code: 125)
            }
        }
        do {
            let r: APIClient.Response
            if pull == "always" { try await fetch() }
            do {
                r = try await client.send(.POST, "/containers/create", query: q, body: .data(body))
            } catch let e as BerthError where e.code == .notFound && e.message.hasPrefix("No such image") && pull == "missing" {
                // As docker: pull the missing image (progress on stderr), then create again.
                Out.err("Unable to find image '\(image)' locally")
                try await fetch()
                r = try await client.send(.POST, "/containers/create", query: q, body: .data(body))
            }
            let created = try JSONDecoder().decode(ContainerCreateResponse.self, from: r.body)
            // As docker: the daemon's warnings go to stderr, the run goes on.
            for w in created.Warnings ?? [] { Out.err("WARNING: " + w) }
            return created.Id
        } catch let e as BerthError where e.code != .unavailable {
            throw CLIError(message: "berth: Error response from daemon: \(e.message).", code: 125)
        }
    }
}

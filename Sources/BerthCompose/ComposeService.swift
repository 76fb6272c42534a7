import BerthCore
import Foundation

/// One service of a Compose file, typed. Unknown keys are warnings; a wrong type is an
/// error naming the file, the line and the key.
public struct ComposeService: Sendable {
    public struct Build: Sendable, Equatable {
        public var context: String
        public var dockerfile: String?
        public var args: [String: String] = [:]
        public var target: String?
    }
    public struct Port: Sendable, Equatable {
        public var hostIP: String?
        public var hostPort: String?
        public var containerPort: String
        public var proto: String
    }
    public struct Mount: Sendable, Equatable {
        /// volume, bind, tmpfs.
        public var type: String
        /// Volume key, host path (absolute), or empty (anonymous volume, tmpfs).
        public var source: String
        public var target: String
        public var readOnly = false
        public var noCopy = false
        /// A missing bind source is made: always for the short syntax (as docker-compose did),
        /// for the long one with `bind.create_host_path: true`.
        public var createHostPath = false
    }
    public struct Attachment: Sendable, Equatable {
        public var aliases: [String] = []
        public var ipv4: String?
    }
    public struct Health: Sendable, Equatable {
        public var test: [String]
        public var interval: Int64?, timeout: Int64?, startPeriod: Int64?
        public var retries: Int?
    }

    public var name: String
    public var image: String?
    public var build: Build?
    public var command: [String]?
    public var entrypoint: [String]?
    public var environment: [String: String?] = [:]
    public var ports: [Port] = []
    public var expose: [String] = []
    public var volumes: [Mount] = []
    public var networks: [String: Attachment] = [:]
    public var networkMode: String?
    /// Service → condition (service_started, service_healthy, service_completed_successfully).
    public var dependsOn: [String: String] = [:]
    public var healthcheck: Health?
    public var healthDisabled = false
    public var restart: String?
    public var memory: Int64?
    public var cpus: Double?
    public var replicas = 1
    public var labels: [String: String] = [:]
    public var workingDir: String?, user: String?, hostname: String?, containerName: String?
    public var extraHosts: [String] = []
    public var capAdd: [String] = [], capDrop: [String] = []
    public var privileged = false, initProcess: Bool?, tty = false, stdinOpen = false, readOnly = false
    public var stopSignal: String?
    public var stopGracePeriod: Int64?
    public var logDriver: String?
    public var logOptions: [String: String] = [:]
    public var dns: [String] = []
    public var tmpfs: [String] = []
    public var profiles: [String] = []
    public var secrets: [String] = []
    /// (config name, target path).
    public var configs: [(String, String)] = []
    /// The service's definition as merged (for the config hash and `config`).
    public var definition: YamlValue

    static let known: Set<String> = [
        "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes", "networks",
        "network_mode", "depends_on", "healthcheck", "restart", "deploy", "mem_limit", "cpus", "labels", "working_dir",
        "user", "hostname", "extra_hosts", "cap_add", "cap_drop", "privileged", "init", "stop_signal", "stop_grace_period",
        "tty", "stdin_open", "logging", "read_only", "profiles", "container_name", "scale", "dns", "tmpfs", "secrets",
        "configs", "extends", "pull_policy",
    ]

    init(name: String, _ v: YamlValue, projectDir: String, env: [String: String], warnings: inout [String]) throws {
        self.name = name
        self.definition = v
        guard let pairs = v.pairs else { throw BerthError.invalid("\(v.place): services.\(name) must be a mapping") }
        let at = "services.\(name)"
        for (k, val) in pairs where !Self.known.contains(k) && !k.hasPrefix("x-") {
            warnings.append("\(val.place): \(at): unknown key '\(k)' ignored")
        }
        func str(_ key: String) throws -> String? {
            guard let x = v[key] else { return nil }
            if case .null = x { return nil }
            guard let s = x.string else { throw BerthError.invalid("\(x.place): \(at).\(key) must be a string") }
            return s
        }
        image = try str("image")
        if let b = v["build"] {
            if let s = b.string {
                build = Build(context: ComposeLoader.absolute(s, projectDir))
            } else if b.pairs != nil {
                build = Build(
                    context: ComposeLoader.absolute(b["context"]?.string ?? ".", projectDir), dockerfile: b["dockerfile"]?.string,
                    args: try Self.stringMap(b["args"], what: "\(at).build.args"), target: b["target"]?.string)
            } else {
                throw BerthError.invalid("\(b.place): \(at).build must be a path or a mapping")
            }
        }
        guard image != nil || build != nil else { throw BerthError.invalid("\(v.place): \(at) has neither an image nor a build") }
        command = try Self.command(v["command"], what: "\(at).command")
        entrypoint = try Self.command(v["entrypoint"], what: "\(at).entrypoint")
        for f in try Self.stringList(v["env_file"], what: "\(at).env_file") {
            let path = ComposeLoader.absolute(f, projectDir)
            for (k, val) in try Interpolation.parseEnvFile(try ComposeLoader.read(path), file: path) { environment[k] = val }
        }
        if let e = v["environment"] {
            if let m = e.pairs {
                for (k, val) in m { environment[k] = val.string ?? (val == .null(val.place) ? env[k] : nil) }
            } else {
                for item in try Self.stringList(e, what: "\(at).environment") {
                    if let eq = item.firstIndex(of: "=") {
                        environment[String(item[..<eq])] = String(item[item.index(after: eq)...])
                    } else {
                        environment[item] = env[item]  // a bare name takes the value around
                    }
                }
            }
        }
        if case .list(let list, _) = v["ports"] ?? .list([], v.place) {
            for p in list { ports += try Self.ports(p, at: at) }
        } else if v["ports"] != nil {
            throw BerthError.invalid("\(v["ports"]!.place): \(at).ports must be a list")
        }
        expose = try Self.stringList(v["expose"], what: "\(at).expose")
        if case .list(let list, _) = v["volumes"] ?? .list([], v.place) {
            for m in list { volumes.append(try Self.mount(m, at: at, projectDir: projectDir)) }
        }
        tmpfs = try Self.stringList(v["tmpfs"], what: "\(at).tmpfs")
        networkMode = try str("network_mode")
        if let n = v["networks"] {
            if let m = n.pairs {
                for (k, val) in m {
                    var a = Attachment()
                    a.aliases = try Self.stringList(val["aliases"], what: "\(at).networks.\(k).aliases")
                    a.ipv4 = val["ipv4_address"]?.string
                    networks[k] = a
                }
            } else {
                for k in try Self.stringList(n, what: "\(at).networks") { networks[k] = Attachment() }
            }
        }
        if networks.isEmpty && networkMode == nil { networks["default"] = Attachment() }
        if let d = v["depends_on"] {
            if let m = d.pairs {
                for (k, val) in m {
                    let cond = val["condition"]?.string ?? "service_started"
                    guard ["service_started", "service_healthy", "service_completed_successfully"].contains(cond) else {
                        throw BerthError.invalid("\(val.place): \(at).depends_on.\(k).condition: unknown condition \(cond)")
                    }
                    dependsOn[k] = cond
                }
            } else {
                for k in try Self.stringList(d, what: "\(at).depends_on") { dependsOn[k] = "service_started" }
            }
        }
        if let h = v["healthcheck"] {
            if Self.bool(h["disable"]) == true {
                healthDisabled = true
            } else if let t = h["test"] {
                var test = try Self.stringList(t, what: "\(at).healthcheck.test")
                if t.string != nil { test = ["CMD-SHELL", test[0]] }
                healthcheck = Health(
                    test: test, interval: try Self.duration(h["interval"], "\(at).healthcheck.interval"),
                    timeout: try Self.duration(h["timeout"], "\(at).healthcheck.timeout"),
                    startPeriod: try Self.duration(h["start_period"], "\(at).healthcheck.start_period"),
                    retries: h["retries"]?.string.flatMap { Int($0) })
            }
        }
        restart = try str("restart")
        if let r = restart, !["no", "always", "unless-stopped", "on-failure"].contains(r.split(separator: ":").first.map(String.init) ?? "") {
            throw BerthError.invalid("\(v["restart"]!.place): \(at).restart: invalid policy \(r)")
        }
        let limits = v["deploy"]?["resources"]?["limits"]
        memory = try Self.bytes(limits?["memory"] ?? v["mem_limit"], "\(at).mem_limit")
        if let c = (limits?["cpus"] ?? v["cpus"])?.string {
            guard let d = Double(c), d > 0, d < 1e6 else { throw BerthError.invalid("\(v.place): \(at).cpus: \(c) is not a number") }
            cpus = d
        }
        if let r = (v["deploy"]?["replicas"] ?? v["scale"])?.string {
            guard let n = Int(r), n >= 0, n <= 1000 else { throw BerthError.invalid("\(v.place): \(at): replicas \(r) is not a count") }
            replicas = n
        }
        labels = try Self.stringMap(v["labels"], what: "\(at).labels")
        workingDir = try str("working_dir")
        user = try str("user")
        hostname = try str("hostname")
        containerName = try str("container_name")
        extraHosts = try Self.stringList(v["extra_hosts"], what: "\(at).extra_hosts")
        if let m = v["extra_hosts"]?.pairs { extraHosts = m.map { "\($0.key):\($0.value.string ?? "")" } }
        capAdd = try Self.stringList(v["cap_add"], what: "\(at).cap_add")
        capDrop = try Self.stringList(v["cap_drop"], what: "\(at).cap_drop")
        privileged = Self.bool(v["privileged"]) ?? false
        initProcess = Self.bool(v["init"])
        tty = Self.bool(v["tty"]) ?? false
        stdinOpen = Self.bool(v["stdin_open"]) ?? false
        readOnly = Self.bool(v["read_only"]) ?? false
        stopSignal = try str("stop_signal")
        stopGracePeriod = try Self.duration(v["stop_grace_period"], "\(at).stop_grace_period")
        logDriver = v["logging"]?["driver"]?.string
        logOptions = try Self.stringMap(v["logging"]?["options"], what: "\(at).logging.options")
        dns = try Self.stringList(v["dns"], what: "\(at).dns")
        profiles = try Self.stringList(v["profiles"], what: "\(at).profiles")
        if case .list(let l, _) = v["secrets"] ?? .list([], v.place) {
            secrets = l.compactMap { $0.string ?? $0["source"]?.string }
        }
        if case .list(let l, _) = v["configs"] ?? .list([], v.place) {
            configs = l.compactMap { c in
                if let s = c.string { return (s, "/" + s) }
                guard let s = c["source"]?.string else { return nil }
                return (s, c["target"]?.string ?? "/" + s)
            }
        }
    }
}

import BerthAPI
import BerthCore
import Crypto
import Foundation

/// What `up` asks the engine for: per service, the create request of each replica, with
/// Compose's labels (so docker-compose, Docker's tools and berth agree on what belongs to a
/// project) and a config hash (so an unchanged service is left running).
public enum ComposePlan {
    public static let projectLabel = "com.docker.compose.project"
    public static let serviceLabel = "com.docker.compose.service"
    public static let numberLabel = "com.docker.compose.container-number"
    public static let hashLabel = "com.docker.compose.config-hash"
    public static let oneoffLabel = "com.docker.compose.oneoff"
    public static let versionLabel = "com.docker.compose.version"
    public static let filesLabel = "com.docker.compose.project.config_files"
    public static let workdirLabel = "com.docker.compose.project.working_dir"
    public static let networkLabel = "com.docker.compose.network"
    public static let volumeLabel = "com.docker.compose.volume"
    /// The Compose version berth speaks (what its labels say).
    public static let version = "2.24.0"

    /// `<project>-<service>-<n>`, as Compose v2 names them (or `container_name`).
    public static func containerName(_ p: ComposeProject, _ s: ComposeService, _ n: Int) -> String {
        s.containerName ?? "\(p.name)-\(s.name)-\(n)"
    }

    /// The image a service runs: its `image:`, or `<project>-<service>` when only built.
    public static func image(_ p: ComposeProject, _ s: ComposeService) -> String {
        s.image ?? "\(p.name)-\(s.name)"
    }

    /// The service's config hash: its create request without the per-replica labels and
    /// where the files lie (moving the project is not a change of config).
    public static func configHash(_ p: ComposeProject, _ s: ComposeService) throws -> String {
        var r = try request(p, s, number: 0, withHash: false)
        for k in [numberLabel, workdirLabel, filesLabel] { r.Labels?.removeValue(forKey: k) }
        let data = try JSONEncoder.compose.encode(r)
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    public static func request(_ p: ComposeProject, _ s: ComposeService, number: Int, withHash: Bool = true) throws -> ContainerCreateRequest {
        var r = ContainerCreateRequest()
        r.Image = image(p, s)
        r.Cmd = s.command.map(StringOrArray.init)
        r.Entrypoint = s.entrypoint.map(StringOrArray.init)
        let env = s.environment.compactMap { k, v in v.map { "\(k)=\($0)" } }.sorted()
        r.Env = env.isEmpty ? nil : env
        r.WorkingDir = s.workingDir
        r.User = s.user
        r.Hostname = s.hostname
        r.Tty = s.tty
        r.OpenStdin = s.stdinOpen
        r.StopSignal = s.stopSignal
        r.StopTimeout = s.stopGracePeriod.map { Int($0 / 1_000_000_000) }
        var labels = s.labels
        labels[projectLabel] = p.name
        labels[serviceLabel] = s.name
        labels[numberLabel] = String(number)
        labels[oneoffLabel] = "False"
        labels[versionLabel] = version
        labels[workdirLabel] = p.directory
        labels[filesLabel] = p.files.joined(separator: ",")
        if withHash { labels[hashLabel] = try configHash(p, s) }
        r.Labels = labels
        if s.healthDisabled {
            var h = HealthConfig()
            h.Test = ["NONE"]
            r.Healthcheck = h
        } else if let hc = s.healthcheck {
            var h = HealthConfig()
            h.Test = hc.test
            h.Interval = hc.interval
            h.Timeout = hc.timeout
            h.StartPeriod = hc.startPeriod
            h.Retries = hc.retries
            r.Healthcheck = h
        }
        var exposed: [String: EmptyObject] = [:]
        var host = HostConfig()
        var bindings: [String: [PortBinding]?] = [:]
        for port in s.ports {
            let key = port.containerPort + "/" + port.proto
            exposed[key] = EmptyObject()
            var list = bindings[key].flatMap { $0 } ?? []
            list.append(PortBinding(HostIp: port.hostIP ?? "", HostPort: port.hostPort ?? ""))
            bindings[key] = list
        }
        for e in s.expose { exposed[e.contains("/") ? e : e + "/tcp"] = EmptyObject() }
        r.ExposedPorts = exposed.isEmpty ? nil : exposed
        host.PortBindings = bindings.isEmpty ? nil : bindings
        var mounts: [HostConfig.Mount] = []
        for m in s.volumes {
            var x = HostConfig.Mount(Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly)
            if m.type == "volume" {
                x.Source = m.source.isEmpty ? nil : p.volumes[m.source]?.name ?? m.source
                if m.noCopy { x.VolumeOptions = .init(NoCopy: true) }
            }
            if m.type == "bind" && m.createHostPath { x.BindOptions = .init(CreateMountpoint: true) }
            mounts.append(x)
        }
        // Secrets and configs: the host file, read-only, where Compose puts it.
        for sec in s.secrets {
            if let f = p.secrets[sec] { mounts.append(HostConfig.Mount(Type: "bind", Source: f, Target: "/run/secrets/" + sec, ReadOnly: true)) }
        }
        for (c, target) in s.configs {
            if let f = p.configs[c] { mounts.append(HostConfig.Mount(Type: "bind", Source: f, Target: target, ReadOnly: true)) }
        }
        host.Mounts = mounts.isEmpty ? nil : mounts
        if !s.tmpfs.isEmpty { host.Tmpfs = Dictionary(uniqueKeysWithValues: s.tmpfs.map { ($0, "") }) }
        if let policy = s.restart {
            let parts = policy.split(separator: ":")
            host.RestartPolicy = .init(Name: String(parts[0]), MaximumRetryCount: parts.count > 1 ? Int(parts[1]) : nil)
        }
        host.Memory = s.memory
        host.NanoCpus = s.cpus.flatMap { Checked.int64($0 * 1e9) }
        host.ExtraHosts = s.extraHosts.isEmpty ? nil : s.extraHosts
        host.CapAdd = s.capAdd.isEmpty ? nil : s.capAdd
        host.CapDrop = s.capDrop.isEmpty ? nil : s.capDrop
        host.Privileged = s.privileged ? true : nil
        host.Init = s.initProcess
        host.ReadonlyRootfs = s.readOnly ? true : nil
        host.Dns = s.dns.isEmpty ? nil : s.dns
        if let d = s.logDriver { host.LogConfig = .init(Type: d, Config: s.logOptions) }
        // The first network at create (sorted, as Compose does); the rest are connected after.
        let nets = s.networks.keys.sorted()
        if let mode = s.networkMode {
            host.NetworkMode = mode
        } else if let first = nets.first, let net = p.networks[first] {
            host.NetworkMode = net.name
            r.NetworkingConfig = NetworkingConfig(EndpointsConfig: [net.name: endpoint(s, first)])
        }
        r.HostConfig = host
        return r
    }

    /// A network attachment: the service name (and its aliases) resolve to the container.
    public static func endpoint(_ s: ComposeService, _ key: String) -> NetworkingConfig.EndpointConfig {
        let a = s.networks[key] ?? ComposeService.Attachment()
        return .init(Aliases: [s.name] + a.aliases, IPAMConfig: a.ipv4.map { .init(IPv4Address: $0) })
    }
}

extension JSONEncoder {
    /// Sorted keys: the same request hashes the same.
    static var compose: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

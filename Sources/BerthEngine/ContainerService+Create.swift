import BerthAPI
import BerthCore
import BerthImage
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// The process a container runs, from the request and the image (Docker's rules: a
    /// request Entrypoint drops the image Cmd).
    static func command(_ req: ContainerCreateRequest, image: ContainerConfig?) -> [String] {
        if let ep = req.Entrypoint {
            return ep.values + (req.Cmd?.values ?? [])
        }
        return (image?.Entrypoint ?? []) + (req.Cmd?.values ?? image?.Cmd ?? [])
    }

    /// Image env first, the request's overriding by name.
    static func mergeEnv(_ image: [String], _ request: [String]) -> [String] {
        var out: [String] = []
        var index: [String: Int] = [:]
        for e in image + request {
            let key = String(e.split(separator: "=", maxSplits: 1).first ?? "")
            if let i = index[key] { out[i] = e } else { index[key] = out.count; out.append(e) }
        }
        if index["PATH"] == nil { out.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0) }
        return out
    }

    /// `docker ps`' COMMAND: path and args, args with blanks in single quotes.
    static func commandText(_ argv: [String]) -> String {
        argv.enumerated().map { i, a in i > 0 && a.contains(" ") ? "'\(a)'" : a }.joined(separator: " ")
    }

    /// `berth create`: records the container and prepares its folder; returns the id.
    /// `imageVolumes: false` (build steps, as BuildKit) does not give the image's VOLUME paths
    /// anonymous volumes.
    public func create(_ request: ContainerCreateRequest, name: String?, imageVolumes: Bool = true) async throws -> (
        id: String, warnings: [String]
    ) {
        try await worker.shared { [self] in try createSync(request, name: name, imageVolumes: imageVolumes) }
    }

    func createSync(_ requestIn: ContainerCreateRequest, name nameIn: String?, imageVolumes: Bool = true) throws -> (
        id: String, warnings: [String]
    ) {
        var req = requestIn
        guard let imageRef = req.Image, !imageRef.isEmpty else { throw BerthError.invalid("no image specified") }
        var host = req.HostConfig ?? HostConfig()
        guard let restartPolicy = RestartPolicyName(request: host.RestartPolicy?.Name) else {
            throw BerthError.invalid("invalid restart policy: \(host.RestartPolicy?.Name ?? "")")
        }
        let policy = restartPolicy.rawValue
        if host.AutoRemove == true && restartPolicy != .no {
            throw BerthError.conflict("conflicting options: cannot specify both --restart and --rm")
        }
        var networkMode = Self.networkMode(host)
        if let ref = Self.joinedContainer(networkMode) {
            // Another container's network namespace: its addresses, ports and names are that
            // container's; nothing of the network may be set here.
            guard let target = try? store.read({ db in try ContainerQueries.resolve(db, ref) }) else {
                throw BerthError.notFound("No such container: \(ref)")
            }
            networkMode = "container:" + target.id
            if !(host.PortBindings ?? [:]).isEmpty || host.PublishAllPorts == true {
                throw BerthError.conflict("conflicting options: port publishing and the container type network mode")
            }
            if !(requestIn.Hostname ?? "").isEmpty { throw BerthError.conflict("conflicting options: hostname and the network mode") }
            if !(host.Dns ?? []).isEmpty || !(host.ExtraHosts ?? []).isEmpty {
                throw BerthError.conflict("conflicting options: dns and the network mode")
            }
        } else if !["none", "host"].contains(networkMode) {
            guard let net = try store.read({ db in try NetworkStore.resolve(db, networkMode) }) else {
                throw BerthError.notFound("network \(networkMode) not found")
            }
            networkMode = net.name
        }
        host.NetworkMode = networkMode
        req.HostConfig = host
        if let name = nameIn, !name.isEmpty, !NameGenerator.isValid(name.hasPrefix("/") ? String(name.dropFirst()) : name) {
            throw BerthError.invalid("Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        // Validate what start would refuse, so create fails early and cleanly.
        try Self.validate(req, host: host)
        var warnings = try LogOptions.resolve(host.LogConfig, defaults: logDefaults).warnings
        if let n = nameIn, n.utf8.count > 63, !Self.ownsNoNetwork(networkMode), networkMode != Self.defaultNetwork {
            warnings.append("container name is \(n.utf8.count) characters long: DNS names are at most 63, so other containers on \(networkMode) cannot resolve it")
        }
        if networkMode == "host" && !(host.PortBindings ?? [:]).isEmpty {
            warnings.append("Published ports are discarded when using host network mode")
        }
        _ = try SpecBuilder.capabilities(add: host.CapAdd ?? [], drop: host.CapDrop ?? [], privileged: host.Privileged ?? false)
        var mounts = try MountSpecs.parse(
            binds: host.Binds ?? [], mounts: host.Mounts ?? [], tmpfs: host.Tmpfs ?? [:],
            anonymous: Array((req.Volumes ?? [:]).keys).sorted())
        mounts += try volumesFrom(host.VolumesFrom ?? [], taken: Set(mounts.map(\.destination)))
        let id = Identifier.random()
        let (image, imageConfig) = try store.read { db -> (String, ImageConfig?) in
            let imageID = try ImageResolver.resolve(db, imageRef).imageID
            let cfg = try ImageStore.config(db, id: imageID)?.configJSON
            return (imageID, cfg.flatMap { try? JSONDecoder().decode(ImageConfig.self, from: Data($0.utf8)) })
        }
        let ic = imageConfig?.config
        // The image's VOLUMEs get anonymous volumes (filled from the image at the first start),
        // unless the request mounts something there.
        if imageVolumes {
            // (`/data/` and `/data` name one mount point.)
            for dest in (ic?.Volumes ?? [:]).keys.map(ContainerPath.clean).sorted()
            where !mounts.contains(where: { ContainerPath.clean($0.destination) == dest }) {
                mounts.append(MountSpec(type: "volume", source: nil, destination: dest, readOnly: false, options: nil))
            }
        }
        let exposed = Array((req.ExposedPorts ?? [:]).keys) + Array((ic?.ExposedPorts ?? [:]).keys)
        let portRows = Self.ownsNoNetwork(networkMode) ? [] : try PortPlan.rows(host: host, exposed: exposed)
        try Self.validateNetworkOptions(req, host: host, mode: networkMode)
        let aliases = req.NetworkingConfig?.EndpointsConfig?[networkMode]?.Aliases ?? []
        if !aliases.isEmpty && networkMode == Self.defaultNetwork {
            throw BerthError.invalid("network-scoped aliases are supported only for containers in user defined networks")
        }
        for l in host.Links ?? [] {
            let target = String(l.split(separator: ":").first ?? "")
            guard (try? store.read({ db in try ContainerQueries.resolve(db, target) })) != nil else {
                throw BerthError.invalid("could not get container for \(target)")
            }
        }
        let argv = Self.command(req, image: ic)
        guard !argv.isEmpty else { throw BerthError.invalid("no command specified") }
        // Resolve the effective config now, so start and inspect see one truth.
        req.Env = Self.mergeEnv(ic?.Env ?? [], req.Env ?? [])
        if req.WorkingDir?.isEmpty ?? true { req.WorkingDir = ic?.WorkingDir ?? "" }
        if req.User?.isEmpty ?? true { req.User = ic?.User ?? "" }
        if req.StopSignal?.isEmpty ?? true { req.StopSignal = ic?.StopSignal ?? "SIGTERM" }
        if req.Hostname?.isEmpty ?? true { req.Hostname = String(id.prefix(12)) }
        req.Labels = (ic?.Labels ?? [:]).merging(req.Labels ?? [:]) { _, n in n }
        if req.Entrypoint == nil, let ep = ic?.Entrypoint { req.Entrypoint = StringOrArray(ep) }
        if req.Cmd == nil, let cmd = ic?.Cmd, requestIn.Entrypoint == nil { req.Cmd = StringOrArray(cmd) }
        // The image's HEALTHCHECK, with the request's fields taking precedence (as Docker).
        if let ih = ic?.Healthcheck {
            var h = req.Healthcheck ?? HealthConfig()
            if h.Test == nil || h.Test!.isEmpty { h.Test = ih.Test }
            if (h.Interval ?? 0) == 0 { h.Interval = ih.Interval }
            if (h.Timeout ?? 0) == 0 { h.Timeout = ih.Timeout }
            if (h.StartPeriod ?? 0) == 0 { h.StartPeriod = ih.StartPeriod }
            if (h.Retries ?? 0) == 0 { h.Retries = ih.Retries }
            req.Healthcheck = h
        }
        if let h = req.Healthcheck, let t = h.Test?.first, !["NONE", "CMD", "CMD-SHELL"].contains(t), !(h.Test ?? []).isEmpty {
            throw BerthError.invalid("unknown health check type \(t): use CMD, CMD-SHELL or NONE")
        }
        let f = files(id)
        for d in [f.dir, f.work, f.persist] { try FileOps.makeDirs(d, mode: 0o700) }
        // The upper dir's mode becomes the container's "/": it must let every user through.
        for d in [f.rootfs, f.upper] { try FileOps.makeDirs(d, mode: 0o755) }
        let hostNet = host.NetworkMode == "host"
        do {
            try FileOps.writeAtomically(Data(HostFiles.hosts(hostname: req.Hostname!, hostNetwork: hostNet).utf8), to: f.hosts, durable: false)
            try FileOps.writeAtomically(Data((req.Hostname! + "\n").utf8), to: f.hostname, durable: false)
            try FileOps.writeAtomically(Data(HostFiles.resolvConf(hostNetwork: hostNet).utf8), to: f.resolv, durable: false)
            // conmon appends to it; made now so a log follower can open it before the start.
            FileManager.default.createFile(atPath: f.log, contents: nil, attributes: [.posixPermissions: 0o600])
            let configJSON = String(decoding: try JSONCoding.encode(req), as: UTF8.self)
            let hostJSON = String(decoding: try JSONCoding.encode(host), as: UTF8.self)
            let now = Clock.nowNanos()
            try store.write { db in
                var name = nameIn.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? ""
                if name.isEmpty {
                    repeat { name = NameGenerator.make() } while try ContainerQueries.idForName(db, name) != nil
                } else if let holder = try ContainerQueries.idForName(db, name) {
                    throw BerthError.conflict(
                        "Conflict. The container name \"/\(name)\" is already in use by container \"\(holder)\". You have to remove (or rename) that container to be able to reuse that name."
                    )
                }
                var rows: [ContainerStore.NewMount] = []
                for m in mounts {
                    var source = m.source
                    var volume: String?
                    if m.type == "volume" {
                        let v = m.source ?? Identifier.random()
                        volume = v
                        source = try Volumes.ensure(db, name: v, anonymous: m.source == nil, paths: paths, now: now)
                    }
                    rows.append(
                        .init(
                            type: m.type, source: source, destination: m.destination, volumeName: volume,
                            readOnly: m.readOnly, options: m.options))
                }
                try ContainerStore.insert(
                    db,
                    .init(
                        id: id, name: name, imageID: image, imageRef: imageRef, command: Self.commandText(argv),
                        createdAt: now, restartPolicy: policy.isEmpty ? "no" : policy,
                        restartMax: host.RestartPolicy?.MaximumRetryCount ?? 0, autoRemove: host.AutoRemove ?? false,
                        configJSON: configJSON, hostConfigJSON: hostJSON, labels: req.Labels ?? [:]),
                    mounts: rows)
                try recordNetwork(db, id: id, mode: networkMode, ports: portRows, aliases: aliases, fixed: Self.fixedAddress(req, mode: networkMode))
                let c = try ContainerQueries.get(db, id: id)!
                try event(db, c, "create", time: now)
            }
        } catch {
            FileOps.removeTree(f.dir)
            throw error
        }
        writeSnapshot(id)
        return (id, warnings)
    }
}

/// Parsed `-v`, `--mount` and `--tmpfs` requests.
public struct MountSpec: Sendable, Equatable {
    public var type: String
    /// Host path (bind), volume name (volume; nil for anonymous), nil for tmpfs.
    public var source: String?
    public var destination: String
    public var readOnly: Bool
    public var options: String?
}

public enum MountSpecs {
    /// Docker's `-v` forms: `/host:/ctr[:ro|rw]`, `name:/ctr[:ro]`, `/ctr`.
    public static func parse(
        binds: [String], mounts: [HostConfig.Mount], tmpfs: [String: String],
        anonymous: [String]
    ) throws -> [MountSpec] {
        var out: [MountSpec] = []
        for b in binds {
            let parts = b.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            func bad() -> BerthError { BerthError.invalid("invalid volume specification: '\(b)'") }
            switch parts.count {
            case 1:
                guard parts[0].hasPrefix("/") else { throw bad() }
                out.append(MountSpec(type: "volume", source: nil, destination: parts[0], readOnly: false, options: nil))
            case 2, 3:
                let mode = parts.count == 3 ? parts[2] : "rw"
                let opts = mode.split(separator: ",")
                guard !parts[0].isEmpty, parts[1].hasPrefix("/"),
                    opts.allSatisfy({ ["ro", "rw", "z", "Z", "private", "rprivate", "shared", "rshared", "slave", "rslave", "nocopy"].contains(String($0)) })
                else { throw bad() }
                let ro = opts.contains("ro")
                if parts[0].hasPrefix("/") {
                    let propagation = opts.last { HostConfig.Mount.BindOptions.propagations.contains(String($0)) }.map(String.init)
                    out.append(MountSpec(type: "bind", source: parts[0], destination: parts[1], readOnly: ro, options: propagation))
                } else {
                    guard NameGenerator.isValid(parts[0]) else { throw bad() }
                    out.append(
                        MountSpec(
                            type: "volume", source: parts[0], destination: parts[1], readOnly: ro,
                            options: opts.contains("nocopy") ? "nocopy" : nil))
                }
            default:
                throw bad()
            }
        }
        for m in mounts {
            guard let target = m.Target, target.hasPrefix("/") else { throw BerthError.invalid("invalid mount config: target must be an absolute path") }
            switch m.Type ?? "volume" {
            case "bind":
                guard let s = m.Source, s.hasPrefix("/") else {
                    throw BerthError.invalid("invalid mount config for type \"bind\": source must be an absolute path")
                }
                // With CreateMountpoint the start makes it, as it makes a `-v` bind's.
                guard FileOps.exists(s) || m.BindOptions?.CreateMountpoint == true else {
                    throw BerthError.invalid("invalid mount config for type \"bind\": bind source path does not exist: \(s)")
                }
                let propagation = m.BindOptions?.Propagation.flatMap { $0.isEmpty ? nil : $0 }
                if let p = propagation, !HostConfig.Mount.BindOptions.propagations.contains(p) {
                    throw BerthError.invalid("invalid mount config for type \"bind\": invalid propagation mode: \(p)")
                }
                out.append(MountSpec(type: "bind", source: s, destination: target, readOnly: m.ReadOnly ?? false, options: propagation))
            case "volume":
                if let driver = m.VolumeOptions?.DriverConfig?.Name, !driver.isEmpty, driver != "local" {
                    throw BerthError.invalid("invalid mount config: volume driver \"\(driver)\" is not supported (only \"local\")")
                }
                out.append(
                    MountSpec(
                        type: "volume", source: (m.Source?.isEmpty ?? true) ? nil : m.Source, destination: target,
                        readOnly: m.ReadOnly ?? false, options: m.VolumeOptions?.NoCopy == true ? "nocopy" : nil))
            case "tmpfs":
                out.append(MountSpec(type: "tmpfs", source: nil, destination: target, readOnly: m.ReadOnly ?? false, options: nil))
            case let t:
                throw BerthError.invalid("invalid mount config: mount type unknown: \"\(t)\"")
            }
        }
        for (dest, opts) in tmpfs.sorted(by: { $0.key < $1.key }) {
            guard dest.hasPrefix("/") else { throw BerthError.invalid("invalid tmpfs mount: \(dest)") }
            out.append(MountSpec(type: "tmpfs", source: nil, destination: dest, readOnly: false, options: opts.isEmpty ? nil : opts))
        }
        for dest in anonymous where !out.contains(where: { $0.destination == dest }) {
            out.append(MountSpec(type: "volume", source: nil, destination: dest, readOnly: false, options: nil))
        }
        return out
    }
}

/// Named and anonymous volumes under ROOT/volumes/NAME/_data.
enum Volumes {
    static func ensure(_ db: StoreTransaction, name: String, anonymous: Bool, paths: BerthPaths, now: Int64) throws -> String {
        // A volume is a folder: its name must fit one file name.
        guard name.utf8.count <= 255 else { throw BerthError.invalid("volume name is too long (\(name.utf8.count) bytes, at most 255)") }
        let dir = paths.volumes + "/" + name + "/_data"
        if try !VolumeStore.exists(db, name) { try FileOps.makeDirs(dir, mode: 0o755) }
        try VolumeStore.ensure(db, name: name, anonymous: anonymous, mountpoint: dir, now: now)
        return dir
    }
}

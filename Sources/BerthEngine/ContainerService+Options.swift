import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

/// HostConfig's process and isolation options: checked at create with Docker's words, applied
/// to the OCI spec at start.
extension ContainerService {
    /// Docker's `--ulimit` names and their rlimit types.
    static let ulimitTypes: [String: String] = [
        "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS",
        "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
        "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO", "rttime": "RLIMIT_RTTIME",
        "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK", "as": "RLIMIT_AS",
    ]

    /// Sysctls a container may set: those of the namespaces it has (Docker's list).
    static func sysctlAllowed(_ key: String, host: HostConfig) throws {
        let ipc = [
            "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
            "kernel.shm_rmid_forced",
        ]
        if ipc.contains(key) || key.hasPrefix("fs.mqueue.") {
            if host.IpcMode == "host" { throw BerthError.invalid("sysctl '\(key)' is not allowed in host IPC namespace") }
            return
        }
        if key.hasPrefix("net.") {
            if host.NetworkMode == "host" { throw BerthError.invalid("sysctl '\(key)' is not allowed in host network namespace") }
            return
        }
        if key == "kernel.domainname" || key == "kernel.hostname" {
            if host.UTSMode == "host" { throw BerthError.invalid("sysctl '\(key)' is not allowed in host UTS namespace") }
            return
        }
        throw BerthError.invalid("sysctl '\(key)' is not whitelisted")
    }

    static func validateOptions(_ host: HostConfig, cpuCount: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        if let s = host.ShmSize, s < 0 { throw BerthError.invalid("SHM size can not be less than 0") }
        for u in host.Ulimits ?? [] {
            guard ulimitTypes[u.Name] != nil else { throw BerthError.invalid("invalid ulimit type: \(u.Name)") }
            guard u.Soft >= 0, u.Hard >= 0 else { throw BerthError.invalid("invalid ulimit \(u.Name): limits must not be negative") }
            guard u.Soft <= u.Hard else {
                throw BerthError.invalid("ulimit soft limit must be less than or equal to hard limit: \(u.Soft) > \(u.Hard)")
            }
        }
        for k in (host.Sysctls ?? [:]).keys { try sysctlAllowed(k, host: host) }
        for o in host.SecurityOpt ?? [] { _ = try securityOption(o) }
        for (flag, mode, allowed) in [
            ("--pid", host.PidMode, ["", "host"]), ("--ipc", host.IpcMode, ["", "host", "private", "shareable"]),
            ("--uts", host.UTSMode, ["", "host"]),
        ] {
            guard let m = mode, !allowed.contains(m) else { continue }
            guard flag != "--uts", m.hasPrefix("container:"), m.count > 10 else {
                throw BerthError.invalid("invalid \(flag.dropFirst(2).uppercased()) mode: \(m)")
            }
        }
        for d in host.Devices ?? [] { _ = try device(d) }
        for r in host.DeviceCgroupRules ?? [] { _ = try deviceRule(r) }
        if let m = host.CgroupnsMode, !["", "host", "private"].contains(m) {
            throw BerthError.invalid("invalid cgroup namespace mode: \(m)")
        }
        if let s = host.CpuShares, s < 0 { throw BerthError.invalid("invalid CPU shares \(s): must not be negative") }
        if let c = host.CpusetCpus, !c.isEmpty {
            let cpus = try cpuList(c)
            if let bad = cpus.first(where: { $0 >= cpuCount }) {
                throw BerthError.invalid("Requested CPUs are not available - requested \(c), available: 0-\(cpuCount - 1) (cpu \(bad))")
            }
        }
        let memory = host.Memory ?? 0
        if let r = host.MemoryReservation, r != 0 {
            guard r >= minimumMemory else { throw BerthError.invalid("Minimum memory reservation allowed is 6MB") }
            if memory > 0 && memory < r {
                throw BerthError.invalid("Minimum memory limit can not be less than memory reservation limit, see usage")
            }
        }
        if let s = host.MemorySwap, s != 0 && s != -1 {
            guard memory > 0 else { throw BerthError.invalid("You should always set the Memory limit when using Memoryswap limit, see usage") }
            guard s >= memory else { throw BerthError.invalid("Minimum memoryswap limit should be larger than memory limit, see usage") }
        }
    }

    /// `0-2,4` → [0, 1, 2, 4].
    static func cpuList(_ s: String) throws -> [Int] {
        var out: [Int] = []
        for part in s.split(separator: ",") {
            let r = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(r.count), let lo = r[0], let hi = r.last!, lo >= 0, lo <= hi, hi < 4096 else {
                throw BerthError.invalid("invalid value \(s) for cpuset cpus")
            }
            out += Array(lo...hi)
        }
        return out
    }

    enum SecurityOption: Equatable {
        case noNewPrivileges(Bool), seccompUnconfined, seccompProfile(String), ignored
    }

    /// One `--security-opt`: Docker's `key=value` (or the older `key:value`).
    static func securityOption(_ o: String) throws -> SecurityOption {
        if o == "no-new-privileges" { return .noNewPrivileges(true) }
        let sep = o.firstIndex(where: { $0 == "=" || $0 == ":" }) ?? o.endIndex
        let key = String(o[..<sep])
        let value = sep < o.endIndex ? String(o[o.index(after: sep)...]) : ""
        switch key {
        case "no-new-privileges":
            guard let b = Bool(value) else { throw BerthError.invalid("invalid --security-opt 2: \"\(o)\"") }
            return .noNewPrivileges(b)
        case "seccomp":
            if value == "unconfined" { return .seccompUnconfined }
            // The docker CLI sends the profile file's content.
            guard value.hasPrefix("{"), (try? JSONDecoder().decode(JSONValue.self, from: Data(value.utf8))) != nil else {
                throw BerthError.invalid("Decoding seccomp profile failed: invalid JSON profile")
            }
            return .seccompProfile(value)
        case "label":
            // No SELinux here: Docker accepts and ignores label options on such hosts.
            return .ignored
        case "apparmor":
            guard value == "unconfined" else { throw BerthError.invalid("AppArmor is not enabled on this host: --security-opt \(o)") }
            return .ignored
        default:
            throw BerthError.invalid("invalid --security-opt 1: \"\(o)\"")
        }
    }

    /// Applies the options to the spec config; `pidOf` gives a running container's pid (for
    /// `container:NAME` namespaces), `rootfs` is mounted (for group names).
    func applyOptions(_ host: HostConfig, to rc: inout ContainerRuntimeConfig, containerDir: String) throws {
        rc.shmSize = (host.ShmSize ?? 0) > 0 ? host.ShmSize : nil
        rc.sysctls = host.Sysctls ?? [:]
        rc.rlimits = (host.Ulimits ?? []).map {
            RuntimeSpec.Rlimit(type: Self.ulimitTypes[$0.Name] ?? $0.Name, hard: UInt64($0.Hard), soft: UInt64($0.Soft))
        }
        for o in host.SecurityOpt ?? [] {
            switch try Self.securityOption(o) {
            case .noNewPrivileges(let b): rc.noNewPrivileges = b
            case .seccompUnconfined: rc.seccompProfile = nil
            case .seccompProfile(let json):
                let path = containerDir + "/seccomp.json"
                try FileOps.writeAtomically(Data(json.utf8), to: path, mode: 0o600, durable: false)
                rc.seccompProfile = path
            case .ignored: break
            }
        }
        func namespace(_ mode: String?, _ type: String) throws -> String?? {
            guard let m = mode, !m.isEmpty, m != "private", m != "shareable" else { return nil }
            if m == "host" { return .some("") }
            let other = try get(String(m.dropFirst("container:".count)))
            guard other.isRunning, let pid = other.pid else {
                throw BerthError.conflict("cannot join \(type) namespace of a non running container: \(other.name)")
            }
            return .some("/proc/\(pid)/ns/\(type)")
        }
        rc.pidNamespace = try namespace(host.PidMode, "pid")
        rc.ipcNamespace = try namespace(host.IpcMode, "ipc")
        rc.utsHost = host.UTSMode == "host"
        rc.cgroupNamespace = host.CgroupnsMode == "private"
        rc.devices = try (host.Devices ?? []).map(Self.device)
        rc.deviceRules = try (host.DeviceCgroupRules ?? []).map(Self.deviceRule)
        rc.cpuShares = (host.CpuShares ?? 0) > 0 ? UInt64(host.CpuShares!) : nil
        rc.cpusetCpus = host.CpusetCpus.flatMap { $0.isEmpty ? nil : $0 }
        rc.memoryReservation = (host.MemoryReservation ?? 0) > 0 ? host.MemoryReservation : nil
        rc.memorySwap = host.MemorySwap.flatMap { $0 == 0 ? nil : $0 }
        rc.oomKillDisable = host.OomKillDisable ?? false
        for g in host.GroupAdd ?? [] {
            let gid = try UInt32(g) ?? Self.groupID(g, rootfs: rc.rootfs)
            if !rc.additionalGids.contains(gid) { rc.additionalGids.append(gid) }
        }
    }

    /// A `--device` mapping as the spec wants it: the host node's type and numbers.
    static func device(_ d: HostConfig.DeviceMapping) throws -> (node: RuntimeSpec.Device, access: String) {
        guard let st = statFollowing(d.PathOnHost) else {
            throw BerthError.invalid("error gathering device information while adding custom device \"\(d.PathOnHost)\": no such file or directory")
        }
        let type: String
        switch st.st_mode & S_IFMT {
        case S_IFCHR: type = "c"
        case S_IFBLK: type = "b"
        default:
            throw BerthError.invalid("error gathering device information while adding custom device \"\(d.PathOnHost)\": not a device node")
        }
        let path = d.PathInContainer.flatMap { $0.isEmpty ? nil : $0 } ?? d.PathOnHost
        guard path.hasPrefix("/") else { throw BerthError.invalid("\(path) is not an absolute path") }
        let access = d.CgroupPermissions.flatMap { $0.isEmpty ? nil : $0 } ?? "rwm"
        guard access.allSatisfy({ "rwm".contains($0) }) else { throw BerthError.invalid("invalid device cgroup permissions: \(access)") }
        // Linux's dev_t layout (gnu_dev_major / gnu_dev_minor).
        let dev = UInt64(st.st_rdev)
        let major = Int64(((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff)))
        let minor = Int64((dev & 0xff) | ((dev >> 12) & ~UInt64(0xff)))
        return (RuntimeSpec.Device(path: path, type: type, major: major, minor: minor, fileMode: st.st_mode & 0o777, uid: 0, gid: 0), access)
    }

    /// A group name from the image's /etc/group (read inside the root).
    static func groupID(_ name: String, rootfs: String) throws -> UInt32 {
        if let id = HostFiles.id(of: name, in: "/etc/group", root: InRoot(rootfs)) { return id }
        throw BerthError.invalid("Unable to find group \(name): no matching entries in group file")
    }
}

extension ContainerService {
    /// `--volumes-from CONTAINER[:ro|rw]`: the other container's volumes and binds at the same
    /// destinations (tmpfs mounts are its own), read-only as it has them unless `:ro`/`:rw` says.
    /// Destinations the new container mounts itself win.
    func volumesFrom(_ specs: [String], taken: Set<String>) throws -> [MountSpec] {
        var out: [MountSpec] = []
        var seen = taken
        for spec in specs {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw BerthError.invalid("invalid volumes-from: \(spec)") }
            let mode = parts.count > 1 ? parts[1] : nil
            guard mode == nil || mode == "ro" || mode == "rw" else {
                throw BerthError.invalid("invalid mode for volumes-from: \(mode!)")
            }
            let other = try get(name)
            let rows = try store.read { db in try ContainerQueries.mounts(db, id: other.id) }
            for m in rows where m.type != "tmpfs" && !seen.contains(m.destination) {
                seen.insert(m.destination)
                out.append(
                    MountSpec(
                        type: m.type, source: m.type == "volume" ? m.volumeName : m.source, destination: m.destination,
                        readOnly: mode.map { $0 == "ro" } ?? m.readOnly, options: nil))
            }
        }
        return out
    }
}

/// stat(2) following symlinks (`/dev/stdout`…); nil when it fails.
private func statFollowing(_ path: String) -> stat? {
    var st = stat()
    return stat(path, &st) == 0 ? st : nil
}

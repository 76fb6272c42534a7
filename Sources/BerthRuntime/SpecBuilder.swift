import BerthCore
import Foundation

/// Everything needed to write one container's config.json, already resolved.
public struct ContainerRuntimeConfig: Sendable {
    public var id: String
    public var rootfs: String
    public var args: [String]
    public var env: [String]
    public var cwd: String
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var additionalGids: [UInt32] = []
    public var hostname: String
    public var terminal = false
    /// Let 32-bit (x86, x32) syscalls through the seccomp filter too (for 32-bit images).
    public var seccompCompat32 = false
    public var readOnlyRootfs = false
    public var privileged = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var memoryLimit: Int64?
    public var nanoCPUs: Int64?
    public var pidsLimit: Int64?
    public var hostNetwork = false
    /// A network namespace made by berthd (bridge networks); nil: runc makes an empty one.
    public var netnsPath: String?
    /// Extra mounts: binds, volumes, tmpfs, and the per-container hosts/hostname/resolv.conf.
    public var mounts: [RuntimeSpec.Mount] = []
    public var seccompProfile: String? = SeccompProfile.defaultPath
    /// `/dev/shm`'s size in bytes (Docker's 64 MB when nil).
    public var shmSize: Int64?
    public var sysctls: [String: String] = [:]
    public var rlimits: [RuntimeSpec.Rlimit] = []
    public var noNewPrivileges = false
    /// Namespaces shared instead of made: nil a new one, "" the host's, else a namespace path.
    public var pidNamespace: String??
    public var ipcNamespace: String??
    public var utsHost = false
    /// `--device`: nodes made in the container's /dev, with their cgroup rule.
    public var devices: [(node: RuntimeSpec.Device, access: String)] = []
    /// Extra device cgroup rules (`--device-cgroup-rule`), after the default deny and the devices.
    public var deviceRules: [RuntimeSpec.DeviceRule] = []
    /// `--cgroupns private`: the container sees its own cgroup as the root.
    public var cgroupNamespace = false
    public var cpuShares: UInt64?
    public var cpusetCpus: String?
    public var memoryReservation: Int64?
    public var memorySwap: Int64?
    public var oomKillDisable = false
    public var cgroupParent = ContainerRuntimeConfig.defaultCgroupParent
    /// Every container's cgroup is `/berth/<id>` (stats reads it there); rootless, under the
    /// user's delegated cgroup.
    public static let defaultCgroupParent = (RootlessHost.delegatedCgroup ?? "") + "/berth"
    /// False for a rootless berthd with no cgroup of its own: no cgroup path in the spec, which
    /// runc then skips (limits were refused at create).
    public var cgroups = RootlessHost.cgroups
    /// A rootless berthd's container: the host's namespaces it shares are not its user
    /// namespace's, so it may not mount their sysfs or proc afresh, only bind the host's.
    public var rootless = RootlessHost.active

    public init(id: String, rootfs: String, args: [String], env: [String], cwd: String, hostname: String) {
        self.id = id
        self.rootfs = rootfs
        self.args = args
        self.env = env
        self.cwd = cwd
        self.hostname = hostname
    }
}

/// Builds the OCI spec with the defaults Docker and podman give containers.
public enum SpecBuilder {
    /// Docker's default capability set.
    public static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability berth knows, in the kernel's bit order (CAP_CHOWN is bit 0).
    public static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// What `--privileged` and `--cap-add ALL` give: the capabilities in this process's bounding
    /// set (as Docker), so hosts that lack one (a container host inside a container) still run.
    public static let hostCapabilities: [String] = boundingSet(
        (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? "")

    /// The capabilities named by the `CapBnd:` line of a /proc status text (all when absent).
    public static func boundingSet(_ status: String) -> [String] {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }),
            let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
        else {
            return allCapabilities
        }
        return allCapabilities.enumerated().filter { i, _ in mask & (1 << UInt64(i)) != 0 }.map(\.element)
    }

    public static let maskedPaths = RuntimeDefaults.maskedPaths
    public static let readonlyPaths = RuntimeDefaults.readonlyPaths

    /// `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name CAP_NET_ADMIN.
    public static func normalizeCapability(_ c: String) throws -> String {
        let up = c.uppercased()
        if up == "ALL" { return "ALL" }
        let name = up.hasPrefix("CAP_") ? up : "CAP_" + up
        guard allCapabilities.contains(name) else { throw BerthError.invalid("unknown capability: \"\(c)\"") }
        return name
    }

    /// The capability set after --cap-add/--cap-drop (Docker's order: drop, then add).
    public static func capabilities(add: [String], drop: [String], privileged: Bool) throws -> [String] {
        if privileged { return hostCapabilities }
        let adds = try add.map(normalizeCapability)
        let drops = try drop.map(normalizeCapability)
        var caps = drops.contains("ALL") ? [] : defaultCapabilities.filter { !drops.contains($0) }
        if adds.contains("ALL") { caps = hostCapabilities.filter { !drops.contains($0) || adds.contains($0) } }
        for a in adds where a != "ALL" && !caps.contains(a) { caps.append(a) }
        return caps
    }

    /// Rootless: `--network host` gets the host's /sys bound (sysfs is mounted only for a network
    /// namespace of the user's own), `--pid host` the host's /proc (likewise for proc), as podman does.
    static func rootlessBinds(_ mounts: [RuntimeSpec.Mount], hostNetwork: Bool, hostPID: Bool) -> [RuntimeSpec.Mount] {
        mounts.map { m in
            if hostNetwork && m.destination == "/sys" && m.type == "sysfs" {
                return .init(destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
            }
            if hostPID && m.destination == "/proc" && m.type == "proc" {
                return .init(destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"])
            }
            return m
        }
    }

    public static func build(_ c: ContainerRuntimeConfig) throws -> RuntimeSpec {
        let caps = try capabilities(add: c.capAdd, drop: c.capDrop, privileged: c.privileged)
        var mounts: [RuntimeSpec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(
                destination: "/dev/pts", type: "devpts", source: "devpts",
                options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(
                destination: "/dev/shm", type: "tmpfs", source: "shm",
                options: ["nosuid", "noexec", "nodev", "mode=1777", c.shmSize.map { "size=\($0)" } ?? "size=65536k"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", c.privileged ? "rw" : "ro"]),
            .init(
                destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                options: ["nosuid", "noexec", "nodev", "relatime", c.privileged ? "rw" : "ro"]),
        ]
        mounts += c.mounts
        var namespaces: [RuntimeSpec.Namespace] = []
        // A namespace shared with the host is left out; one shared with a container is joined by path.
        for (type, shared) in [("pid", c.pidNamespace), ("ipc", c.ipcNamespace), ("uts", c.utsHost ? .some("") : nil)] {
            switch shared {
            case .none: namespaces.append(.init(type: type))
            case .some(.some(let path)) where !path.isEmpty: namespaces.append(.init(type: type, path: path))
            default: break
            }
        }
        namespaces.append(.init(type: "mount"))
        if c.cgroupNamespace { namespaces.append(.init(type: "cgroup")) }
        if !c.hostNetwork { namespaces.append(.init(type: "network", path: c.netnsPath)) }
        if c.rootless { mounts = rootlessBinds(mounts, hostNetwork: c.hostNetwork, hostPID: !namespaces.contains { $0.type == "pid" }) }
        var resources = RuntimeSpec.Resources()
        if c.memoryLimit != nil || c.memoryReservation != nil || c.memorySwap != nil || c.oomKillDisable {
            resources.memory = .init(
                limit: c.memoryLimit, reservation: c.memoryReservation, swap: c.memorySwap,
                disableOOMKiller: c.oomKillDisable ? true : nil)
        }
        // quota = n / 1e9 CPUs of a 100 ms period, computed without overflow.
        if c.nanoCPUs != nil || c.cpuShares != nil || c.cpusetCpus != nil {
            resources.cpu = .init(
                shares: c.cpuShares, quota: c.nanoCPUs.map { max(1000, $0 / 10_000) }, period: c.nanoCPUs.map { _ in 100_000 },
                cpus: c.cpusetCpus)
        }
        if let p = c.pidsLimit { resources.pids = .init(limit: p) }
        resources.devices = [.init(allow: c.privileged, type: nil, major: nil, minor: nil, access: "rwm")]
        for d in c.devices { resources.devices?.append(.init(allow: true, type: d.node.type, major: d.node.major, minor: d.node.minor, access: d.access)) }
        resources.devices? += c.deviceRules
        let seccomp =
            c.privileged ? nil : try c.seccompProfile.flatMap { try SeccompProfile.load(path: $0, capabilities: Set(caps), compat32: c.seccompCompat32) }
        return RuntimeSpec(
            process: .init(
                terminal: c.terminal,
                user: .init(uid: c.uid, gid: c.gid, additionalGids: c.additionalGids.isEmpty ? nil : c.additionalGids),
                args: c.args, env: c.env, cwd: c.cwd,
                capabilities: .init(bounding: caps, effective: caps, permitted: caps, inheritable: nil, ambient: nil),
                rlimits: c.rlimits.isEmpty ? nil : c.rlimits, noNewPrivileges: c.noNewPrivileges ? true : nil, oomScoreAdj: nil),
            root: .init(path: c.rootfs, readonly: c.readOnlyRootfs),
            hostname: c.hostNetwork || c.utsHost ? nil : c.hostname,
            mounts: mounts,
            linux: .init(
                namespaces: namespaces, resources: resources,
                cgroupsPath: c.cgroups ? c.cgroupParent + "/" + c.id : nil,
                maskedPaths: c.privileged ? nil : maskedPaths,
                readonlyPaths: c.privileged ? nil : readonlyPaths,
                seccomp: seccomp, devices: c.devices.isEmpty ? nil : c.devices.map(\.node), sysctl: c.sysctls.isEmpty ? nil : c.sysctls))
    }
}

import BerthCore
import Foundation

/// GET /info (the fields berth fills).
public struct SystemInfo: Codable, Sendable {
    public var ID: String
    public var Containers: Int
    public var ContainersRunning: Int
    public var ContainersPaused: Int
    public var ContainersStopped: Int
    public var Images: Int
    public var Driver: String
    public var DockerRootDir: String
    public var LoggingDriver: String
    public var CgroupDriver: String
    public var CgroupVersion: String
    public var KernelVersion: String
    public var OperatingSystem: String
    public var OSType: String
    public var Architecture: String
    public var NCPU: Int
    public var MemTotal: Int64
    public var Name: String
    public var ServerVersion: String
    public var DefaultRuntime: String
    public var SystemTime: String
    public var Debug: Bool
    public var Warnings: [String]
    public var Runtimes: [String: Runtime] = ["runc": Runtime(path: "runc")]
    public var SecurityOptions: [String] = ["name=seccomp,profile=builtin"]
    public var RegistryConfig = Registries()
    public var Plugins = PluginsInfo()
    public var Swarm = SwarmInfo()
    public var ExperimentalBuild = false
    public var MemoryLimit = true
    public var SwapLimit = true
    public var CpuCfsPeriod = true
    public var CpuCfsQuota = true
    public var CPUShares = true
    public var CPUSet = true
    public var PidsLimit = true
    public var OomKillDisable = false
    public var IPv4Forwarding = true
    public var DriverStatus: [[String]] = [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]]
    public var IndexServerAddress = "https://index.docker.io/v1/"
    public var Labels: [String] = []
    public var Isolation = ""
    public var InitBinary = ""
    public var LiveRestoreEnabled = true
    /// berth's own: berthd runs as an ordinary user (Docker's clients read `name=rootless` in
    /// SecurityOptions; these say how).
    public var Rootless: RootlessInfo? = nil

    public struct RootlessInfo: Codable, Sendable {
        public var UIDMap: [UserNamespace.Mapping]
        public var GIDMap: [UserNamespace.Mapping]
        public var Storage: String
        public var Network: String
        public var Cgroups: String
    }

    public struct Runtime: Codable, Sendable { public var path: String }
    public struct Registries: Codable, Sendable {
        public var InsecureRegistryCIDRs = ["127.0.0.0/8", "::1/128"]
        public var IndexConfigs: [String: IndexInfo] = [
            "docker.io": IndexInfo(Name: "docker.io", Mirrors: [], Secure: true, Official: true)
        ]
        public var Mirrors: [String] = []
    }
    public struct IndexInfo: Codable, Sendable {
        public var Name: String
        public var Mirrors: [String]
        public var Secure: Bool
        public var Official: Bool
        public init(Name: String, Mirrors: [String], Secure: Bool, Official: Bool) {
            self.Name = Name; self.Mirrors = Mirrors; self.Secure = Secure; self.Official = Official
        }
    }
    public struct PluginsInfo: Codable, Sendable {
        public var Volume = ["local"]
        public var Network = ["bridge", "host", "none"]
        public var Authorization: [String]? = nil
        public var Log = ["k8s-file", "json-file", "local", "none"]
    }
    /// berth has no swarm mode: always inactive, as a Docker that never joined one.
    public struct SwarmInfo: Codable, Sendable {
        public var NodeID = ""
        public var NodeAddr = ""
        public var LocalNodeState = "inactive"
        public var ControlAvailable = false
        public var Error = ""
        public var RemoteManagers: [String]? = nil
    }
}

extension SystemInfo {
    /// /info for this host, from the counts berthd keeps.
    public static func current(
        daemonID: String, containerStates counts: [String: Int], images: Int,
        root: String
    ) -> SystemInfo {
        let total = counts.values.reduce(0, +)
        let running = (counts[ContainerState.running.rawValue] ?? 0) + (counts[ContainerState.restarting.rawValue] ?? 0)
        let paused = counts[ContainerState.paused.rawValue] ?? 0
        return SystemInfo(
            ID: daemonID, Containers: total, ContainersRunning: running, ContainersPaused: paused,
            ContainersStopped: total - running - paused, Images: images, Driver: "overlay",
            DockerRootDir: root, LoggingDriver: "k8s-file", CgroupDriver: "cgroupfs",
            CgroupVersion: HostFacts.cgroupVersion, KernelVersion: HostFacts.kernelVersion,
            OperatingSystem: HostFacts.operatingSystem, OSType: "linux",
            Architecture: HostFacts.machine, NCPU: ProcessInfo.processInfo.activeProcessorCount,
            MemTotal: Int64(ProcessInfo.processInfo.physicalMemory), Name: ProcessInfo.processInfo.hostName,
            ServerVersion: APIVersion.serverVersion, DefaultRuntime: "runc",
            SystemTime: Clock.rfc3339Nano(Clock.nowNanos()), Debug: false, Warnings: [])
    }

    /// A rootless berthd's differences: Docker's rootless markers, limits it cannot apply.
    public mutating func setRootless(network: String) {
        SecurityOptions.append("name=rootless")
        if !RootlessHost.cgroups {
            CgroupDriver = "none"
            (MemoryLimit, SwapLimit, CpuCfsPeriod, CpuCfsQuota, CPUShares, CPUSet, PidsLimit) = (false, false, false, false, false, false, false)
            Warnings.append("WARNING: Running in rootless-mode without cgroups. Resource limits are refused (cgroup v\(HostFacts.cgroupVersion) has no delegation).")
        }
        Rootless = RootlessInfo(
            UIDMap: UserNamespace.uidMap, GIDMap: UserNamespace.gidMap,
            Storage: "overlay in the user namespace (userxattr)", Network: network, Cgroups: RootlessHost.cgroupsSummary)
    }
}

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
}

import BerthAPI
import BerthCore
import BerthRuntime
import Foundation

extension ContainerService {
    /// Docker's smallest memory limit (6 MiB).
    static let minimumMemory: Int64 = 6 * 1024 * 1024
    /// Docker's smallest health-check interval, timeout and start period (1 ms).
    static let minimumHealthDuration: Int64 = 1_000_000

    /// Refuses at create, with Docker's wording, what start would fail on or what would make
    /// berthd's arithmetic overflow. Every number in a create request passes through here.
    /// The create checks on a request alone (the fuzzer's entry point).
    public static func validateRequest(_ req: ContainerCreateRequest) throws {
        let host = req.HostConfig ?? HostConfig()
        try validate(req, host: host)
        _ = try MountSpecs.parse(
            binds: host.Binds ?? [], mounts: host.Mounts ?? [], tmpfs: host.Tmpfs ?? [:],
            anonymous: Array((req.Volumes ?? [:]).keys))
        _ = try SpecBuilder.capabilities(add: host.CapAdd ?? [], drop: host.CapDrop ?? [], privileged: host.Privileged ?? false)
        _ = try LogOptions.resolve(host.LogConfig, defaults: LogOptions())
    }

    static func validate(_ req: ContainerCreateRequest, host: HostConfig, cpuCount: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        if let m = host.Memory, m != 0 {
            guard m > 0 else { throw BerthError.invalid("invalid memory limit \(m): it must not be negative") }
            guard m >= minimumMemory else { throw BerthError.invalid("Minimum memory limit allowed is 6MB") }
        }
        if let n = host.NanoCpus, n != 0 {
            let cpus = Int64(max(1, cpuCount))
            guard n >= 10_000_000, n <= cpus * 1_000_000_000 else {
                throw BerthError.invalid("Range of CPUs is from 0.01 to \(cpus).00, as there are only \(cpus) CPUs available")
            }
        }
        if let r = host.RestartPolicy?.MaximumRetryCount, r < 0 {
            throw BerthError.invalid("invalid restart policy: maximum retry count cannot be negative")
        }
        for e in req.Env ?? [] {
            if e.utf8.contains(0) { throw BerthError.invalid("invalid environment variable \(e.debugDescription): it contains a NUL byte") }
            if e.hasPrefix("=") || e.isEmpty { throw BerthError.invalid("invalid environment variable: \(e.debugDescription)") }
        }
        if let w = req.WorkingDir, !w.isEmpty {
            guard w.hasPrefix("/") else {
                throw BerthError.invalid("the working directory '\(w)' is invalid, it needs to be an absolute path")
            }
            guard !w.utf8.contains(0) else { throw BerthError.invalid("the working directory contains a NUL byte") }
        }
        for v in (req.Volumes ?? [:]).keys where !v.hasPrefix("/") {
            throw BerthError.invalid(
                "invalid volume specification: '\(v)': invalid mount config for type \"volume\": invalid mount path: '\(v)' mount path must be absolute")
        }
        if let h = req.Healthcheck {
            for (name, v) in [("Interval", h.Interval), ("Timeout", h.Timeout), ("StartPeriod", h.StartPeriod)] {
                if let v, v != 0, v < minimumHealthDuration {
                    throw BerthError.invalid("\(name) in Healthcheck cannot be less than 1ms")
                }
            }
            if let r = h.Retries, r < 0 { throw BerthError.invalid("Retries in Healthcheck cannot be negative") }
        }
        if let s = req.StopSignal, !s.isEmpty { _ = try Signals.parse(s) }
        try validateOptions(host, cpuCount: cpuCount)
        try checkRootlessLimits(host)
    }

    /// A rootless berthd without a cgroup refuses limits rather than dropping them.
    static func checkRootlessLimits(_ host: HostConfig) throws {
        for (set, flag) in [
            ((host.Memory ?? 0) > 0, "--memory"), ((host.MemoryReservation ?? 0) > 0, "--memory-reservation"),
            ((host.MemorySwap ?? 0) > 0, "--memory-swap"), ((host.NanoCpus ?? 0) > 0, "--cpus"),
            ((host.CpuShares ?? 0) > 0, "--cpu-shares"), (!(host.CpusetCpus ?? "").isEmpty, "--cpuset-cpus"),
            ((host.PidsLimit ?? 0) > 0, "--pids-limit"), (host.OomKillDisable == true, "--oom-kill-disable"),
        ] {
            try RootlessHost.checkLimit(set, flag: flag)
        }
    }
}

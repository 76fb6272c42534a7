import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// One stats sample of a container in Docker's shape; `previous` (the sample before) fills
    /// `precpu_stats` and `preread`. A container that is not running reports zeros, as Docker's.
    public func stats(_ ref: String, previous: ContainerStats? = nil) throws -> ContainerStats {
        let c = try get(ref)
        var out = ContainerStats()
        out.id = c.id
        out.name = "/" + c.name
        out.read = Clock.rfc3339Nano(Clock.nowNanos(), trimZeros: false)
        if let p = previous {
            out.precpu_stats = p.cpu_stats
            out.preread = p.read
        }
        guard c.isRunning else { return out }
        let pid = c.pid.map { Int32(truncatingIfNeeded: $0) }
        let s: CgroupSample
        if !RootlessHost.cgroups, let pid {
            s = CgroupStats.processSample(pid: pid)
        } else {
            s = CgroupStats(path: ContainerRuntimeConfig.defaultCgroupParent + "/" + c.id).sample(pid: pid)
        }
        var cpu = ContainerStats.CPUStats()
        cpu.cpu_usage.total_usage = s.cpuTotal
        cpu.cpu_usage.percpu_usage = s.perCPU.isEmpty ? nil : s.perCPU
        cpu.cpu_usage.usage_in_usermode = s.cpuUser
        cpu.cpu_usage.usage_in_kernelmode = s.cpuSystem
        cpu.system_cpu_usage = s.systemCPU
        cpu.online_cpus = s.onlineCPUs
        cpu.throttling_data.periods = s.throttlePeriods
        cpu.throttling_data.throttled_periods = s.throttledPeriods
        cpu.throttling_data.throttled_time = s.throttledTime
        out.cpu_stats = cpu
        out.memory_stats.usage = s.memoryUsage
        out.memory_stats.max_usage = s.memoryMaxUsage
        // No limit set: the machine's memory, as Docker reports it.
        out.memory_stats.limit = min(s.memoryLimit, ProcessInfo.processInfo.physicalMemory)
        out.memory_stats.stats = s.memoryStat
        out.pids_stats.current = s.pids
        out.pids_stats.limit = s.pidsLimit
        out.blkio_stats.io_service_bytes_recursive = s.ioBytes.map {
            ContainerStats.BlkioEntry(major: $0.major, minor: $0.minor, op: $0.op, value: $0.value)
        }
        if !s.networks.isEmpty {
            var nets: [String: ContainerStats.NetworkStats] = [:]
            for (name, v) in s.networks {
                var n = ContainerStats.NetworkStats()
                (n.rx_bytes, n.rx_packets, n.rx_errors, n.rx_dropped) = (v[0], v[1], v[2], v[3])
                (n.tx_bytes, n.tx_packets, n.tx_errors, n.tx_dropped) = (v[4], v[5], v[6], v[7])
                nets[name] = n
            }
            out.networks = nets
        }
        return out
    }
}

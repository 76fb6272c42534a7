/// GET /containers/{id}/stats: Docker's StatsResponse (Linux fields).
public struct ContainerStats: Codable, Sendable {
    public struct CPUUsage: Codable, Sendable {
        public var total_usage: UInt64 = 0
        public var percpu_usage: [UInt64]?
        public var usage_in_kernelmode: UInt64 = 0
        public var usage_in_usermode: UInt64 = 0
        public init() {}
    }
    public struct Throttling: Codable, Sendable {
        public var periods: UInt64 = 0
        public var throttled_periods: UInt64 = 0
        public var throttled_time: UInt64 = 0
        public init() {}
    }
    public struct CPUStats: Codable, Sendable {
        public var cpu_usage = CPUUsage()
        public var system_cpu_usage: UInt64?
        public var online_cpus: Int?
        public var throttling_data = Throttling()
        public init() {}
    }
    public struct MemoryStats: Codable, Sendable {
        public var usage: UInt64?
        public var max_usage: UInt64?
        public var stats: [String: UInt64]?
        public var limit: UInt64?
        public init() {}
    }
    public struct PidsStats: Codable, Sendable {
        public var current: UInt64?
        public var limit: UInt64?
        public init() {}
    }
    public struct BlkioEntry: Codable, Sendable {
        public var major: UInt64
        public var minor: UInt64
        public var op: String
        public var value: UInt64
        public init(major: UInt64, minor: UInt64, op: String, value: UInt64) {
            self.major = major; self.minor = minor; self.op = op; self.value = value
        }
    }
    public struct BlkioStats: Codable, Sendable {
        public var io_service_bytes_recursive: [BlkioEntry]?
        public var io_serviced_recursive: [BlkioEntry]?
        public var io_queue_recursive: [BlkioEntry]?
        public var io_service_time_recursive: [BlkioEntry]?
        public var io_wait_time_recursive: [BlkioEntry]?
        public var io_merged_recursive: [BlkioEntry]?
        public var io_time_recursive: [BlkioEntry]?
        public var sectors_recursive: [BlkioEntry]?
        public init() {}
    }
    public struct NetworkStats: Codable, Sendable {
        public var rx_bytes: UInt64 = 0
        public var rx_packets: UInt64 = 0
        public var rx_errors: UInt64 = 0
        public var rx_dropped: UInt64 = 0
        public var tx_bytes: UInt64 = 0
        public var tx_packets: UInt64 = 0
        public var tx_errors: UInt64 = 0
        public var tx_dropped: UInt64 = 0
        public init() {}
    }

    public var name: String = ""
    public var id: String = ""
    /// RFC 3339 (nanoseconds); `preread` is the previous sample's, or the zero time.
    public var read: String = "0001-01-01T00:00:00Z"
    public var preread: String = "0001-01-01T00:00:00Z"
    public var pids_stats = PidsStats()
    public var blkio_stats = BlkioStats()
    public var num_procs: Int = 0
    public var storage_stats: [String: UInt64] = [:]
    public var cpu_stats = CPUStats()
    public var precpu_stats = CPUStats()
    public var memory_stats = MemoryStats()
    public var networks: [String: NetworkStats]?

    public init() {}

    /// Docker CLI's CPU %: the container's share of the host's CPU time between two samples,
    /// times the online CPUs.
    public var cpuPercent: Double {
        let cpuDelta = Double(cpu_stats.cpu_usage.total_usage) - Double(precpu_stats.cpu_usage.total_usage)
        let sysDelta = Double(cpu_stats.system_cpu_usage ?? 0) - Double(precpu_stats.system_cpu_usage ?? 0)
        let cpus = Double(cpu_stats.online_cpus ?? cpu_stats.cpu_usage.percpu_usage?.count ?? 1)
        guard sysDelta > 0, cpuDelta > 0 else { return 0 }
        return cpuDelta / sysDelta * cpus * 100
    }

    /// Docker CLI's memory use: usage without the inactive page cache.
    public var memoryUsed: UInt64 {
        let usage = memory_stats.usage ?? 0
        let s = memory_stats.stats ?? [:]
        let cache = s["total_inactive_file"] ?? s["inactive_file"] ?? 0
        return cache < usage ? usage - cache : usage
    }
}

import BerthCore
import Foundation

/// One sample of a container's resource use, read from its cgroup (v1 controllers or the v2
/// unified tree) and its network namespace, in Docker's units: CPU in nanoseconds, memory and
/// I/O in bytes.
public struct CgroupSample: Sendable, Equatable {
    public var cpuTotal: UInt64 = 0
    public var cpuUser: UInt64 = 0
    public var cpuSystem: UInt64 = 0
    public var perCPU: [UInt64] = []
    public var throttlePeriods: UInt64 = 0
    public var throttledPeriods: UInt64 = 0
    public var throttledTime: UInt64 = 0
    public var memoryUsage: UInt64 = 0
    public var memoryMaxUsage: UInt64?
    public var memoryLimit: UInt64 = 0
    /// memory.stat as the kernel names it.
    public var memoryStat: [String: UInt64] = [:]
    public var pids: UInt64 = 0
    public var pidsLimit: UInt64?
    /// (major, minor, op, bytes) with Docker's op names (Read, Write, …).
    public var ioBytes: [(major: UInt64, minor: UInt64, op: String, value: UInt64)] = []
    /// Interface → (rx bytes, rx packets, rx errors, rx dropped, tx bytes, tx packets, tx errors, tx dropped).
    public var networks: [String: [UInt64]] = [:]
    /// The host's CPU time since boot (ns) and its online CPUs, for the percentage.
    public var systemCPU: UInt64 = 0
    public var onlineCPUs: Int = 1

    public init() {}

    public static func == (a: CgroupSample, b: CgroupSample) -> Bool {
        a.cpuTotal == b.cpuTotal && a.memoryUsage == b.memoryUsage && a.pids == b.pids && a.systemCPU == b.systemCPU
    }
}

/// Reads `CgroupSample`s for the cgroup `path` (berth's `/berth/<id>`) and a process in the
/// container (for its network namespace).
public struct CgroupStats: Sendable {
    public let path: String
    public let base: String
    public let unified: Bool

    public init(path: String, base: String = "/sys/fs/cgroup") {
        self.path = path
        self.base = base
        unified = FileManager.default.fileExists(atPath: base + "/cgroup.controllers")
    }

    func file(_ controller: String, _ name: String) -> String {
        unified ? "\(base)\(path)/\(name)" : "\(base)/\(controller)\(path)/\(name)"
    }

    static func read(_ p: String) -> String? { try? String(contentsOfFile: p, encoding: .utf8) }

    static func number(_ p: String) -> UInt64? {
        guard let s = read(p)?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        return UInt64(s)
    }

    /// `key value` lines (memory.stat, cpu.stat).
    static func keyed(_ text: String?) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in (text ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = UInt64(f[1]) { out[String(f[0])] = v }
        }
        return out
    }

    /// Whether the cgroup exists (the container runs).
    public var exists: Bool { FileManager.default.fileExists(atPath: unified ? base + path : base + "/memory" + path) }

    public func sample(pid: Int32?) -> CgroupSample {
        var s = CgroupSample()
        if unified { readV2(&s) } else { readV1(&s) }
        if let pid { s.networks = Self.networks(Self.read("/proc/\(pid)/net/dev")) }
        (s.systemCPU, s.onlineCPUs) = Self.system(Self.read("/proc/stat"))
        return s
    }

    private func readV1(_ s: inout CgroupSample) {
        s.cpuTotal = Self.number(file("cpuacct", "cpuacct.usage")) ?? 0
        s.perCPU = (Self.read(file("cpuacct", "cpuacct.usage_percpu")) ?? "").split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
        // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
        let st = Self.keyed(Self.read(file("cpuacct", "cpuacct.stat")))
        s.cpuUser = (st["user"] ?? 0) * 10_000_000
        s.cpuSystem = (st["system"] ?? 0) * 10_000_000
        let th = Self.keyed(Self.read(file("cpu", "cpu.stat")))
        s.throttlePeriods = th["nr_periods"] ?? 0
        s.throttledPeriods = th["nr_throttled"] ?? 0
        s.throttledTime = th["throttled_time"] ?? 0
        s.memoryUsage = Self.number(file("memory", "memory.usage_in_bytes")) ?? 0
        s.memoryMaxUsage = Self.number(file("memory", "memory.max_usage_in_bytes"))
        s.memoryLimit = Self.number(file("memory", "memory.limit_in_bytes")) ?? 0
        s.memoryStat = Self.keyed(Self.read(file("memory", "memory.stat")))
        s.pids = Self.number(file("pids", "pids.current")) ?? 0
        s.pidsLimit = Self.number(file("pids", "pids.max"))
        for line in (Self.read(file("blkio", "blkio.throttle.io_service_bytes_recursive")) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, let v = UInt64(f[2]) else { continue }
            let dev = f[0].split(separator: ":").compactMap { UInt64($0) }
            guard dev.count == 2 else { continue }
            s.ioBytes.append((dev[0], dev[1], String(f[1]), v))
        }
    }

    private func readV2(_ s: inout CgroupSample) {
        let cpu = Self.keyed(Self.read(file("", "cpu.stat")))
        s.cpuTotal = (cpu["usage_usec"] ?? 0) * 1000
        s.cpuUser = (cpu["user_usec"] ?? 0) * 1000
        s.cpuSystem = (cpu["system_usec"] ?? 0) * 1000
        s.throttlePeriods = cpu["nr_periods"] ?? 0
        s.throttledPeriods = cpu["nr_throttled"] ?? 0
        s.throttledTime = (cpu["throttled_usec"] ?? 0) * 1000
        s.memoryUsage = Self.number(file("", "memory.current")) ?? 0
        s.memoryLimit = Self.number(file("", "memory.max")) ?? UInt64(Int64.max)
        s.memoryStat = Self.keyed(Self.read(file("", "memory.stat")))
        s.pids = Self.number(file("", "pids.current")) ?? 0
        s.pidsLimit = Self.number(file("", "pids.max"))
        for line in (Self.read(file("", "io.stat")) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let devText = f.first else { continue }
            let dev = devText.split(separator: ":").compactMap { UInt64($0) }
            guard dev.count == 2 else { continue }
            for kv in f.dropFirst() {
                let p = kv.split(separator: "=")
                guard p.count == 2, let v = UInt64(p[1]) else { continue }
                if p[0] == "rbytes" { s.ioBytes.append((dev[0], dev[1], "read", v)) }
                if p[0] == "wbytes" { s.ioBytes.append((dev[0], dev[1], "write", v)) }
            }
        }
    }

    /// /proc/PID/net/dev: the interfaces of the container's namespace (loopback left out, as Docker).
    static func networks(_ text: String?) -> [String: [UInt64]] {
        var out: [String: [UInt64]] = [:]
        for line in (text ?? "").split(separator: "\n").dropFirst(2) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            if name == "lo" { continue }
            let f = line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
            guard f.count >= 12 else { continue }
            out[name] = [f[0], f[1], f[2], f[3], f[8], f[9], f[10], f[11]]
        }
        return out
    }

    /// /proc/stat's first line in nanoseconds (USER_HZ = 100), and the number of `cpuN` lines.
    static func system(_ text: String?) -> (UInt64, Int) {
        var total: UInt64 = 0
        var cpus = 0
        for line in (text ?? "").split(separator: "\n") {
            if line.hasPrefix("cpu ") {
                // user nice system idle iowait irq softirq steal (guest times are already in user)
                total = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }.reduce(0, +) * 10_000_000
            } else if line.hasPrefix("cpu") {
                cpus += 1
            }
        }
        return (total, max(cpus, 1))
    }
}

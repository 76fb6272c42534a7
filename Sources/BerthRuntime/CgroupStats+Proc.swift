import Foundation
import Glibc

extension CgroupStats {
    /// A sample from /proc alone, for a container with no cgroup (a rootless berthd without
    /// delegation): CPU time and resident memory summed over the processes of the init's pid
    /// namespace, their count, the init's network counters. No limits (there are none).
    public static func processSample(pid: Int32) -> CgroupSample {
        var s = CgroupSample()
        let page = UInt64(max(1, sysconf(Int32(_SC_PAGESIZE))))
        // /proc/PID/stat counts USER_HZ ticks (100 per second on Linux).
        let tick: UInt64 = 10_000_000
        let pids = ProcStat.pidsSharingNamespace(of: pid)
        for p in pids {
            if let text = read("/proc/\(p)/stat"), let close = text.lastIndex(of: ")") {
                let f = text[text.index(after: close)...].split(separator: " ")
                // After the command: state is field 3, utime 14, stime 15.
                if f.count > 12 {
                    s.cpuUser += (UInt64(f[11]) ?? 0) * tick
                    s.cpuSystem += (UInt64(f[12]) ?? 0) * tick
                }
            }
            if let statm = read("/proc/\(p)/statm") {
                let f = statm.split(separator: " ")
                if f.count > 1 { s.memoryUsage += (UInt64(f[1]) ?? 0) * page }
            }
        }
        s.cpuTotal = s.cpuUser + s.cpuSystem
        s.pids = UInt64(pids.count)
        s.memoryLimit = .max
        s.networks = networks(read("/proc/\(pid)/net/dev"))
        (s.systemCPU, s.onlineCPUs) = system(read("/proc/stat"))
        return s
    }
}

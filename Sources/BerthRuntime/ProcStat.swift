import Foundation

/// Facts from /proc that tell a live process from a reused pid.
public enum ProcStat {
    /// The process start time (clock ticks since boot, field 22 of /proc/PID/stat), nil if gone.
    public static func startTime(_ pid: Int32) -> Int64? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3): starttime is field 22. A zombie is dead already.
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return Int64(fields[19])
    }

    /// Whether `pid` is alive and is the process that started at `startTime`.
    public static func isSame(_ pid: Int32, startTime: Int64?) -> Bool {
        guard let now = self.startTime(pid) else { return false }
        return startTime == nil || now == startTime
    }

    /// The boot id, from BERTH_BOOT_ID_FILE (tests) or the kernel.
    /// The processes in the pid namespace `pid` is in, found by walking /proc: a container's
    /// processes where it has no cgroup to list them (a rootless berthd without delegation).
    public static func pidsSharingNamespace(of pid: Int32) -> [Int32] {
        guard let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid") else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
            guard let p = Int32(name),
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/ns/pid")) == ns
            else { return nil }
            return p
        }
    }

    public static func bootID() -> String {
        let path = ProcessInfo.processInfo.environment["BERTH_BOOT_ID_FILE"] ?? "/proc/sys/kernel/random/boot_id"
        return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "unknown").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

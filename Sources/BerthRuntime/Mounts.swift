import BerthCore
import Foundation

/// mount(2) for container root filesystems.
public enum Mounts {
    /// Mounts an overlay of `lowers` (top first) with `upper`/`work` at `target`.
    public static func overlay(lowers: [String], upper: String, work: String, target: String) throws {
        let opts = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
        // mount(2) takes one page of options. (Relative lowerdirs would need a chdir, which is
        // process-wide in a threaded daemon: not done yet.)
        guard opts.utf8.count < 4000 else {
            throw BerthError.invalid("image has too many layers to mount (\(lowers.count))")
        }
        guard mount("overlay", target, "overlay", 0, opts) == 0 else {
            throw BerthError.posix("mount overlay on \(target)")
        }
    }

    /// Unmounts `target` (lazily if busy); not mounted is fine.
    public static func unmount(_ target: String) {
        if umount2(target, 0) != 0 && errno == EBUSY {
            _ = umount2(target, Int32(MNT_DETACH))
        }
    }

    /// Whether `path` is a mount point, from /proc/self/mountinfo.
    public static func isMounted(_ path: String) -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        return info.split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first.map(String.init) == path }
    }
}

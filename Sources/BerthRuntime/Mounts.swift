import BerthCore
import Foundation

/// mount(2) for container root filesystems.
public enum Mounts {
    /// Mounts an overlay of `lowers` (top first) with `upper`/`work` at `target`.
    public static func overlay(lowers: [String], upper: String, work: String, target: String) throws {
        let opts = "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(upper),workdir=\(work)" + OverlayXattrs.mountOptions
        // mount(2) takes one page of options. (Relative lowerdirs would need a chdir, which is
        // process-wide in a threaded daemon: not done yet.)
        guard opts.utf8.count < 4000 else {
            throw BerthError.invalid("image has too many layers to mount (\(lowers.count))")
        }
        guard mount("overlay", target, "overlay", 0, opts) == 0 else {
            throw BerthError.posix("mount overlay on \(target)")
        }
    }

    /// Mounts and unmounts a small overlay under `dir`: a rootless berthd's check, at start,
    /// that this kernel lets a user namespace mount overlayfs (Linux 5.11+). Throws its refusal.
    public static func probeOverlay(in dir: String) throws {
        let base = dir + "/overlay-probe"
        FileOps.removeTree(base)
        defer { FileOps.removeTree(base) }
        for d in ["lower", "upper", "work", "merged"] { try FileOps.makeDirs(base + "/" + d, mode: 0o700) }
        do {
            try overlay(lowers: [base + "/lower"], upper: base + "/upper", work: base + "/work", target: base + "/merged")
        } catch {
            throw BerthError.invalid(
                "rootless berthd needs overlayfs in a user namespace (Linux 5.11 or later), which this kernel refused: \(BerthError.from(error).message)")
        }
        unmount(base + "/merged")
    }

    /// Unmounts `target` (lazily if busy); not mounted is fine.
    public static func unmount(_ target: String) {
        if umount2(target, 0) != 0 && errno == EBUSY {
            _ = umount2(target, Int32(MNT_DETACH))
        }
    }

    /// Whether something is mounted on `path`: its device differs from its parent's (or it
    /// is its filesystem's root). Asked of the kernel, not of mountinfo's escaped text.
    public static func isMountPoint(_ path: String) -> Bool {
        var st = stat(), parent = stat()
        guard stat(path, &st) == 0, stat(path + "/..", &parent) == 0 else { return false }
        return st.st_dev != parent.st_dev || st.st_ino == parent.st_ino
    }

    /// Unmounts every mount at or below `dir` (a crashed build's step mounts), deepest first.
    public static func unmountUnder(_ dir: String) {
        guard let info = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return }
        let points = info.split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: " ")
            guard f.count > 4 else { return nil }
            // mountinfo escapes blanks, tabs, newlines and backslashes as octal.
            var p = String(f[4])
            for (esc, c) in [("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")] {
                p = p.replacingOccurrences(of: esc, with: c)
            }
            return p.hasPrefix(dir + "/") ? p : nil
        }
        for p in points.sorted(by: { $0.count > $1.count }) { unmount(p) }
    }

    /// Unmounts every mount stacked on `target` (a past double mount included).
    public static func unmountAll(_ target: String) {
        for _ in 0..<8 where isMountPoint(target) { unmount(target) }
    }
}

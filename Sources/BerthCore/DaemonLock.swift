import CBerthSys
import Foundation

/// The lock that keeps one berthd per root: an exclusive flock on `root/berthd.lock`,
/// held for the life of the process (released by the kernel if it dies).
public final class DaemonLock: Sendable {
    let fd: Int32

    public init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BerthError.posix("open \(path)") }
        if berth_flock_exclusive(fd) != 0 {
            let holder =
                (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw BerthError.conflict(
                "another berthd is already running on this root (\((path as NSString).deletingLastPathComponent))" + (holder.isEmpty ? "" : ", pid \(holder)"))
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        self.fd = fd
    }

    deinit { close(fd) }
}

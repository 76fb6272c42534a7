import BerthCore
import Foundation
import Synchronization

/// Room kept for SQLite on the root's filesystem: a pre-allocated file that berthd deletes
/// when a write fails for a full disk, so the write that frees space (a stop, an `rm`, a
/// prune) can still commit. Made again once there is room.
public final class DiskReserve: Sendable {
    public let path: String
    public let size: Int64
    private let released = Mutex(false)

    public init(path: String, size: Int64 = 16 << 20) {
        self.path = path
        self.size = size
    }

    /// Creates the reserve if it is missing and the disk has room for it.
    public func ensure() {
        if FileOps.size(path) == size { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        if posix_fallocate(fd, 0, off_t(size)) != 0 {
            ftruncate(fd, 0)
            unlink(path)
            return
        }
        released.withLock { $0 = false }
    }

    /// Frees the reserve; true if there was one to free.
    public func release() -> Bool {
        released.withLock { r in
            guard unlink(path) == 0 else { return false }
            r = true
            return true
        }
    }
}

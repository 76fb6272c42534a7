import BerthCore
import BerthRuntime
import Synchronization

/// The one owner of every container's rootfs mount. A mount has holders — the container's
/// run, and each `cp` (or, later, export and build step) using it — and is mounted by the
/// first and unmounted by the last, so no caller ever stacks a second overlay on the same
/// upper and work dirs. Whether it is mounted is asked of the kernel (device numbers), so a
/// mount berthd inherited from its previous life is found and reused, never doubled.
final class RootfsMounts: Sendable {
    private struct Holders {
        var count: [String: Int] = [:]
        var run: Set<String> = []
    }
    private let state = Mutex(Holders())

    /// Takes a hold on `target`, mounting it with `mount` unless it is mounted already.
    func acquire(_ id: String, target: String, mount: () throws -> Void) throws {
        try state.withLock { s in try Self.take(&s, id, target: target, mount: mount) }
    }

    /// Drops a hold; the last one unmounts.
    func release(_ id: String, target: String) {
        state.withLock { s in Self.drop(&s, id, target: target, holds: 1) }
    }

    /// The container's run holds its mount until the run's runtime state is cleaned.
    func acquireForRun(_ id: String, target: String, mount: () throws -> Void) throws {
        try state.withLock { s in
            guard !s.run.contains(id) else { return }
            try Self.take(&s, id, target: target, mount: mount)
            s.run.insert(id)
        }
    }

    private static func take(_ s: inout Holders, _ id: String, target: String, mount: () throws -> Void) throws {
        if (s.count[id] ?? 0) == 0 && !Mounts.isMountPoint(target) { try mount() }
        s.count[id, default: 0] += 1
    }

    /// `holds` fewer holders; with none left the mount goes.
    private static func drop(_ s: inout Holders, _ id: String, target: String, holds: Int) {
        let n = (s.count[id] ?? 0) - holds
        if n <= 0 {
            s.count[id] = nil
            Mounts.unmountAll(target)
        } else {
            s.count[id] = n
        }
    }

    /// A running container re-adopted after a berthd restart: its mount is the run's hold.
    func adoptRun(_ id: String, target: String) {
        state.withLock { s in
            guard !s.run.contains(id), Mounts.isMountPoint(target) else { return }
            s.run.insert(id)
            s.count[id, default: 0] += 1
        }
    }

    /// Ends the run's hold (exit, failed start, removal); unmounts if nothing else holds it.
    /// With no hold recorded, a mount left on `target` is berthd's to clean: unmounted.
    func releaseRun(_ id: String, target: String) {
        state.withLock { s in Self.drop(&s, id, target: target, holds: s.run.remove(id) != nil ? 1 : 0) }
    }
}

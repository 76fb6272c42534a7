import BerthCore
import CBerthSys
import Glibc

/// A container's network namespace, pinned by a file under the runroot: berthd makes it
/// (no `ip netns` process per start), hands its path to runc and netavark, and removes it when
/// the container dies.
public enum NetNS {
    /// Creates the namespace at `path` with loopback up.
    public static func create(at path: String) throws {
        let rc = berth_netns_create(path)
        if rc != 0 { throw BerthError.internal("creating network namespace \(path): \(String(cString: strerror(-rc)))") }
    }

    /// Whether `path` pins a namespace (a bind mount of nsfs), not a bare file left by a reboot.
    public static func isNamespace(_ path: String) -> Bool {
        berth_is_netns(path) == 1
    }

    /// Removes it; a path that is not there is fine.
    public static func remove(at path: String) {
        _ = berth_netns_remove(path)
    }
}

import Foundation

/// What a rootless berthd (one inside its own user namespace) can and cannot do on this host.
public enum RootlessHost {
    /// berthd runs in a user namespace of an ordinary user.
    public static let active = UserNamespace.isRootless

    /// Whether containers get cgroups, and so resource limits. Always as root. Rootless only on
    /// cgroup v2 with the user's own cgroup delegated (writable, as systemd's `Delegate=yes`
    /// makes it): a v1 hierarchy is never delegated to an ordinary user.
    public static let cgroups: Bool = !active || delegatedCgroup != nil

    /// Rootless on cgroup v2: the user's delegated cgroup (under /sys/fs/cgroup), if it is one.
    public static let delegatedCgroup: String? = {
        guard active, HostFacts.cgroupVersion == "2",
            let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else { return nil }
        let dir = "/sys/fs/cgroup" + line.dropFirst(3)
        return access(dir + "/cgroup.subtree_control", W_OK) == 0 && access(dir, W_OK) == 0 ? String(line.dropFirst(3)) : nil
    }()

    /// `berth info`'s words for it.
    public static var cgroupsSummary: String {
        if !active { return "cgroups: limits apply" }
        return cgroups ? "cgroup v2, delegated: limits apply" : "no cgroup delegation (cgroup v\(HostFacts.cgroupVersion)): resource limits are refused"
    }

    /// Refuses a resource limit a rootless berthd without cgroups cannot apply (never ignored).
    public static func checkLimit(_ set: Bool, flag: String) throws {
        guard set, !cgroups else { return }
        throw BerthError.invalid(
            "rootless berthd cannot apply \(flag): this host gives the user no cgroup (cgroup v\(HostFacts.cgroupVersion) without delegation; limits need cgroup v2 with systemd's Delegate=yes)")
    }
}

import BerthCore
import Foundation

/// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container.
public enum HostFiles {
    /// `ip`: the container's address on its network (Docker maps the hostname to it), else
    /// 127.0.1.1 as on a host without one. `extra`: more `address names` lines (links, --add-host).
    public static func hosts(hostname: String, hostNetwork: Bool, ip: String? = nil, extra: [String] = []) -> String {
        if hostNetwork, let text = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) { return text }
        let base = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters

            """
        guard let ip else { return base + "127.0.1.1\t\(hostname)\n" }
        return base + extra.map { $0 + "\n" }.joined() + "\(ip)\t\(hostname)\n"
    }

    /// The host's resolv.conf without loopback name servers (unreachable from a private
    /// network namespace), as Docker does.
    public static func resolvConf(hostNetwork: Bool) -> String {
        let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        if hostNetwork { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let w = line.split(separator: " ", omittingEmptySubsequences: true)
            guard w.first == "nameserver", w.count > 1 else { return true }
            return !(w[1].hasPrefix("127.") || w[1] == "::1")
        }.joined(separator: "\n")
    }

    /// The host's search and options lines with `nameservers` (a network's own DNS server).
    public static func resolvConf(nameservers: [String]) -> String {
        let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        let kept = text.split(separator: "\n").filter { $0.hasPrefix("search ") || $0.hasPrefix("options ") }
        return (kept.map(String.init) + nameservers.map { "nameserver " + $0 }).joined(separator: "\n") + "\n"
    }

    /// The id of `name` in the root's /etc/passwd or /etc/group (`file`), read inside the root;
    /// nil when no line names it.
    public static func id(of name: String, in file: String, root: InRoot) -> UInt32? {
        let text = ((try? root.read(file)) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            if f.count > 2, f[0] == name, let id = UInt32(f[2]) { return id }
        }
        return nil
    }

    /// Resolves `-u` (`name`, `uid`, `name:group`, `uid:gid`) against the container's own
    /// /etc/passwd and /etc/group.
    public static func resolveUser(_ spec: String, rootfs: String) throws -> (uid: UInt32, gid: UInt32, groups: [UInt32]) {
        if spec.isEmpty { return (0, 0, []) }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        // Read inside the rootfs: a symlinked /etc/passwd must not read the host's.
        let root = InRoot(rootfs)
        let passwd = ((try? root.read("/etc/passwd")) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let group = ((try? root.read("/etc/group")) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let users = passwd.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
        let groups = group.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
        var uid: UInt32, gid: UInt32 = 0
        var userName: String?
        if let n = UInt32(parts[0]) {
            uid = n
            if let u = users.first(where: { $0.count > 3 && $0[2] == parts[0] }) {
                gid = UInt32(u[3]) ?? 0
                userName = u[0]
            }
        } else if let u = users.first(where: { $0.count > 3 && $0[0] == parts[0] }) {
            uid = UInt32(u[2]) ?? 0
            gid = UInt32(u[3]) ?? 0
            userName = u[0]
        } else {
            throw BerthError.invalid("unable to find user \(parts[0]): no matching entries in passwd file")
        }
        if parts.count == 2 {
            if let g = UInt32(parts[1]) {
                gid = g
            } else if let g = groups.first(where: { $0.count > 2 && $0[0] == parts[1] }) {
                gid = UInt32(g[2]) ?? 0
            } else {
                throw BerthError.invalid("unable to find group \(parts[1]): no matching entries in group file")
            }
        }
        var extra: [UInt32] = []
        if let userName {
            for g in groups where g.count > 3 && g[3].split(separator: ",").contains(Substring(userName)) {
                if let id = UInt32(g[2]), id != gid { extra.append(id) }
            }
        }
        return (uid, gid, extra)
    }
}

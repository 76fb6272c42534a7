import Foundation
import Glibc

/// Whether a host port can be taken: bound briefly by berthd itself, so a host process already
/// listening on it is seen before the container starts (netavark's DNAT would hide it).
public enum PortProbe {
    public static func isFree(ip: String, port: Int, proto: String) -> Bool {
        guard proto == "tcp" || proto == "udp", (1...65535).contains(port) else { return true }
        if let v6 = IPAddress.parseIPv6(ip) {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            withUnsafeMutableBytes(of: &addr.sin6_addr) { b in
                for i in 0..<16 { b[i] = UInt8(truncatingIfNeeded: v6 >> UInt128(8 * (15 - i))) }
            }
            return canBind(&addr, family: AF_INET6, proto: proto)
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = ip.isEmpty ? INADDR_ANY : (IPAddress.parseIPv4(ip).map { $0.bigEndian } ?? INADDR_ANY)
        return canBind(&addr, family: AF_INET, proto: proto)
    }

    /// Binds a socket of `family` to `addr` and lets it go: true unless something holds it.
    static func canBind<A>(_ addr: inout A, family: Int32, proto: String) -> Bool {
        let fd = socket(family, Int32(proto == "tcp" ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var one: Int32 = 1
        // Lets a port in TIME_WAIT count as free (a listener still blocks the bind).
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<A>.size)) }
        }
        // EACCES (a low port for a rootless berthd) is not "in use": the bind that follows says why.
        return rc == 0 || errno == EADDRNOTAVAIL || errno == EACCES
    }

    /// The kernel's ephemeral range (net.ipv4.ip_local_port_range), where `-p 80` ports come from.
    public static func ephemeralRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        if f.count == 2, f[0] >= 1, f[0] <= f[1], f[1] <= 65535 { return f[0]...f[1] }
        return 32768...60999
    }
}

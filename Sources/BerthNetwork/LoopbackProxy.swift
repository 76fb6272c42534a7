import BerthCore
import Foundation
import Glibc
import Synchronization

/// A userland proxy for a port published on the IPv6 loopback (`-p [::1]:8080:80`): the
/// kernel forwards nothing from ::1 to a bridge (IPv6 has no `route_localnet`), so berthd
/// listens there itself and relays to the container, as Docker's docker-proxy does. A rootless
/// berthd publishes every port so (as rootlessport does): it listens in the host's namespace
/// and reaches the container from its rootless one.
/// TCP: one thread per direction of each connection, so a slow reader never stalls the other
/// side. UDP: one upstream socket per client address, dropped after a minute of silence.
public final class LoopbackProxy: Sendable {
    public let port: Int
    public let proto: String
    let listener: Int32
    let target: SocketAddress
    /// Where the container's address is reachable from, when not berthd's own namespace.
    let targetNetns: RootlessNetns?
    let state = Mutex<State>(State())

    struct State {
        var stopped = false
        /// Sockets of live relays (shut down on stop; each relay closes its own).
        var open: Set<Int32> = []
        /// UDP: client address bytes → upstream socket.
        var upstreams: [Data: Int32] = [:]
    }

    /// Binds `hostIP:port` (`""`: every address, IPv4 and IPv6) and starts relaying to
    /// `targetIP:targetPort`, reached from `targetNetns` when given.
    public init(
        hostIP: String = "::1", port: Int, proto: String, targetIP: String, targetPort: Int, targetNetns: RootlessNetns? = nil
    ) throws {
        guard proto == "tcp" || proto == "udp" else { throw BerthError.invalid("userland proxy: unsupported protocol \(proto)") }
        guard let target = SocketAddress(ip: targetIP, port: targetPort) else { throw BerthError.invalid("userland proxy: invalid target \(targetIP)") }
        let any = hostIP.isEmpty || hostIP == "0.0.0.0" || hostIP == "::"
        guard let local = SocketAddress(ip: any ? "::" : hostIP, port: port) else { throw BerthError.invalid("userland proxy: invalid address \(hostIP)") }
        self.port = port
        self.proto = proto
        self.target = target
        self.targetNetns = targetNetns
        let type = proto == "tcp" ? SOCK_STREAM : SOCK_DGRAM
        let fd = socket(local.family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError.posix("userland proxy: socket") }
        var one: Int32 = 1, zero: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        // Every address means IPv4 too, whatever the host's bindv6only says.
        if any { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size)) }
        let rc = local.withSockaddr { bind(fd, $0, $1) }
        guard rc == 0, proto == "udp" || listen(fd, 128) == 0 else {
            let e = errno
            close(fd)
            let shown = any ? "0.0.0.0" : hostIP.contains(":") ? "[\(hostIP)]" : hostIP
            if e == EACCES {
                let floor = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "1024"
                throw BerthError(
                    .permissionDenied,
                    "cannot publish \(shown):\(port): permission denied (an ordinary user may bind ports from net.ipv4.ip_unprivileged_port_start, \(floor), up)")
            }
            throw e == EADDRINUSE
                ? BerthError.conflict("Bind for \(shown):\(port) failed: port is already allocated")
                : BerthError.internal("userland proxy on \(shown):\(port): \(String(cString: strerror(e)))")
        }
        listener = fd
        if proto == "tcp" {
            Thread.detachNewThread { [self] in acceptLoop() }
        } else {
            Thread.detachNewThread { [self] in datagramLoop() }
        }
    }

    /// Stops listening and ends every relay (their threads close the sockets).
    public func stop() {
        let open: [Int32] = state.withLock { s in
            guard !s.stopped else { return [] }
            s.stopped = true
            return Array(s.open) + Array(s.upstreams.values)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Sockets of live TCP relays per proxy (two per connection), at most.
    static let maxSockets = 1024

    /// Registers a relay's socket; false (and the socket closed) once stopped.
    func track(_ fd: Int32) -> Bool {
        let ok = state.withLock { s in
            if s.stopped { return false }
            s.open.insert(fd)
            return true
        }
        if !ok { close(fd) }
        return ok
    }

    func untrackAndClose(_ fd: Int32) {
        _ = state.withLock { $0.open.remove(fd) }
        close(fd)
    }

    var stopped: Bool { state.withLock { $0.stopped } }

    /// UDP clients with a live upstream socket (and relay thread).
    var upstreamCount: Int { state.withLock { $0.upstreams.count } }

    /// Connects a new socket to the target (nil when the container does not answer).
    func connectTarget(type: Int32) -> Int32? {
        let fd = targetNetns.map { $0.socket(family: target.family, type: type) ?? -1 } ?? socket(target.family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        if target.withSockaddr({ Glibc.connect(fd, $0, $1) }) != 0 {
            close(fd)
            return nil
        }
        return fd
    }
}

/// An IPv4 or IPv6 address and port, for the calls that take a `sockaddr`.
struct SocketAddress: Sendable {
    let family: Int32
    let bytes: [UInt8]

    init?(ip: String, port: Int) {
        guard (1...65535).contains(port) else { return nil }
        if let v4 = IPAddress.parseIPv4(ip) {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(port).bigEndian)
            a.sin_addr.s_addr = v4.bigEndian
            family = AF_INET
            bytes = withUnsafeBytes(of: a) { Array($0) }
        } else if let v6 = IPAddress.parseIPv6(ip) {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(port).bigEndian)
            withUnsafeMutableBytes(of: &a.sin6_addr) { b in
                for i in 0..<16 { b[i] = UInt8(truncatingIfNeeded: v6 >> UInt128(8 * (15 - i))) }
            }
            family = AF_INET6
            bytes = withUnsafeBytes(of: a) { Array($0) }
        } else {
            return nil
        }
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        bytes.withUnsafeBytes { raw in body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count)) }
    }
}

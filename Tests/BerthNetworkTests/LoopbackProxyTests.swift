import BerthCore
import Foundation
import Glibc
import Testing

@testable import BerthNetwork

/// The `[::1]` userland proxy relaying to echo servers of the test's own on 127.0.0.1.
@Suite struct LoopbackProxyTests {
    /// A socket bound to 127.0.0.1 on a port the kernel picks.
    static func bound(_ type: Int32) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, type, 0)
        try #require(fd >= 0)
        let a = SocketAddress(ip: "127.0.0.1", port: 1)!
        var any = a.bytes
        any[2] = 0
        any[3] = 0  // port 0: any free one
        let rc = any.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        try #require(rc == 0)
        var got = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &got) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: got.sin_port)))
    }

    /// A port free on ::1 right now.
    static func freePort6() throws -> Int {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_addr.__in6_u.__u6_addr8.15 = 1
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin6_port))
    }

    static func connect6(_ port: Int, _ type: Int32) throws -> Int32 {
        let fd = socket(AF_INET6, type, 0)
        let a = SocketAddress(ip: "::1", port: port)!
        try #require(a.withSockaddr { Glibc.connect(fd, $0, $1) } == 0)
        return fd
    }

    /// Rootless berthd publishes IPv4 ports through the proxy too.
    @Test func servesAnIPv4HostAddress() throws {
        let (server, port) = try Self.bound(Int32(SOCK_STREAM.rawValue))
        defer { close(server) }
        listen(server, 4)
        Thread.detachNewThread {
            let c = accept(server, nil, nil)
            _ = "hello".withCString { write(c, $0, 5) }
            close(c)
        }
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &len) } }
        close(probe)
        let p4 = Int(UInt16(bigEndian: a.sin_port))
        let proxy = try LoopbackProxy(hostIP: "127.0.0.1", port: p4, proto: "tcp", targetIP: "127.0.0.1", targetPort: port)
        defer { proxy.stop() }
        let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(c) }
        let to = SocketAddress(ip: "127.0.0.1", port: p4)!
        try #require(to.withSockaddr { Glibc.connect(c, $0, $1) } == 0)
        var buf = [UInt8](repeating: 0, count: 16)
        let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
        #expect(n == 5 && String(decoding: buf[0..<5], as: UTF8.self) == "hello")
        // The same address again is refused as Docker words it.
        #expect(throws: BerthError.self) { try LoopbackProxy(hostIP: "127.0.0.1", port: p4, proto: "tcp", targetIP: "127.0.0.1", targetPort: port) }
    }

    @Test func tcpRelaysBothWaysWithHalfClose() throws {
        let (server, port) = try Self.bound(Int32(SOCK_STREAM.rawValue))
        defer { close(server) }
        listen(server, 4)
        // Echo until the client half-closes, then say goodbye and close.
        Thread.detachNewThread {
            let c = accept(server, nil, nil)
            var buf = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                _ = buf.withUnsafeBytes { write(c, $0.baseAddress, n) }
            }
            _ = "bye".withCString { write(c, $0, 3) }
            close(c)
        }
        let p6 = try Self.freePort6()
        let proxy = try LoopbackProxy(port: p6, proto: "tcp", targetIP: "127.0.0.1", targetPort: port)
        defer { proxy.stop() }
        let c = try Self.connect6(p6, Int32(SOCK_STREAM.rawValue))
        defer { close(c) }
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        // Written from another thread while this one reads: neither side may stall the other.
        Thread.detachNewThread {
            var off = 0
            while off < payload.count {
                let w = payload.withUnsafeBytes { write(c, $0.baseAddress! + off, payload.count - off) }
                if w <= 0 { break }
                off += w
            }
            shutdown(c, Int32(SHUT_WR))
        }
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            got += buf[0..<n]
        }
        #expect(got.count == payload.count + 3)
        #expect(Array(got.prefix(payload.count)) == payload)
        #expect(String(decoding: got.suffix(3), as: UTF8.self) == "bye")
    }

    @Test func udpAnswersGoBackToTheirClient() throws {
        let (server, port) = try Self.bound(Int32(SOCK_DGRAM.rawValue))
        defer { close(server) }
        Thread.detachNewThread {
            var buf = [UInt8](repeating: 0, count: 2048)
            var from = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            for _ in 0..<2 {
                let n = buf.withUnsafeMutableBytes { b in
                    withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(server, b.baseAddress, b.count, 0, $0, &len) }
                    }
                }
                if n <= 0 { return }
                let reply = [UInt8]("echo:".utf8) + buf[0..<n]
                _ = reply.withUnsafeBytes { b in
                    withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(server, b.baseAddress, b.count, 0, $0, len) } }
                }
            }
        }
        let p6 = try Self.freePort6()
        let proxy = try LoopbackProxy(port: p6, proto: "udp", targetIP: "127.0.0.1", targetPort: port)
        defer { proxy.stop() }
        for word in ["one", "two"] {
            let c = try Self.connect6(p6, Int32(SOCK_DGRAM.rawValue))
            defer { close(c) }
            var t = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &t, socklen_t(MemoryLayout<timeval>.size))
            _ = word.withCString { send(c, $0, word.utf8.count, 0) }
            var buf = [UInt8](repeating: 0, count: 2048)
            let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            #expect(n > 0 && String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "echo:" + word)
        }
        #expect(proxy.upstreamCount == 2)
        // Stopped, each client's relay thread ends and lets its socket go.
        proxy.stop()
        for _ in 0..<300 where proxy.upstreamCount > 0 { usleep(10_000) }
        #expect(proxy.upstreamCount == 0)
    }

    @Test func stopFreesThePortForBothProtocols() throws {
        for proto in ["tcp", "udp"] {
            let p6 = try Self.freePort6()
            let proxy = try LoopbackProxy(port: p6, proto: proto, targetIP: "127.0.0.1", targetPort: 9)
            proxy.stop()
            // The loop thread closes the socket once woken: the port comes back.
            var again: LoopbackProxy?
            for _ in 0..<200 where again == nil {
                again = try? LoopbackProxy(port: p6, proto: proto, targetIP: "127.0.0.1", targetPort: 9)
                if again == nil { usleep(10_000) }
            }
            #expect(again != nil, "\(proto) port \(p6) still held after stop")
            again?.stop()
        }
    }

    @Test func aTakenPortIsRefusedAsDockerWordsIt() throws {
        let p6 = try Self.freePort6()
        let first = try LoopbackProxy(port: p6, proto: "tcp", targetIP: "127.0.0.1", targetPort: 9)
        defer { first.stop() }
        #expect(throws: (any Error).self) { try LoopbackProxy(port: p6, proto: "tcp", targetIP: "127.0.0.1", targetPort: 9) }
        do {
            _ = try LoopbackProxy(port: p6, proto: "tcp", targetIP: "127.0.0.1", targetPort: 9)
        } catch {
            #expect(BerthError.from(error).message == "Bind for [::1]:\(p6) failed: port is already allocated")
        }
    }
}

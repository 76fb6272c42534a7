import CBerthSys
import Foundation
import Glibc
import Synchronization

extension LoopbackProxy {
    /// TCP: each client is connected to the target and relayed both ways; a client the
    /// container does not answer is closed at once (as docker-proxy does).
    func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = berth_accept_cloexec(listener)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if stopped { return }
                // EMFILE and the like: try again shortly rather than spin.
                usleep(50_000)
                continue
            }
            // A flood of connections must not take every thread and descriptor of berthd.
            if state.withLock({ $0.open.count }) >= Self.maxSockets {
                close(client)
                continue
            }
            guard track(client) else { return }
            Thread.detachNewThread { [self] in
                guard let upstream = connectTarget(type: Int32(SOCK_STREAM.rawValue)) else {
                    untrackAndClose(client)
                    return
                }
                guard track(upstream) else {
                    untrackAndClose(client)
                    return
                }
                let pair = RelayPair(client, upstream, proxy: self)
                Thread.detachNewThread { pair.pump(from: upstream, to: client) }
                pair.pump(from: client, to: upstream)
            }
        }
    }

    /// UDP: datagrams from each client address go out on that client's own upstream socket,
    /// whose answers come back to it from the listening socket.
    func datagramLoop() {
        defer { close(listener) }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            var from = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buf.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(listener, b.baseAddress, b.count, 0, $0, &len) }
                }
            }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            if stopped { return }
            let key = withUnsafeBytes(of: from) { Data($0.prefix(Int(len))) }
            guard let up = upstream(for: key) else { continue }
            _ = buf.withUnsafeBytes { send(up, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// The client's upstream socket, made on its first datagram with a thread sending the
    /// container's answers back; it goes after a minute without any.
    func upstream(for client: Data) -> Int32? {
        if let fd = state.withLock({ $0.upstreams[client] }) { return fd }
        if state.withLock({ $0.upstreams.count }) >= Self.maxSockets / 2 { return nil }
        guard let fd = connectTarget(type: Int32(SOCK_DGRAM.rawValue)) else { return nil }
        var idle = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, socklen_t(MemoryLayout<timeval>.size))
        let added = state.withLock { s in
            if s.stopped { return false }
            s.upstreams[client] = fd
            return true
        }
        guard added else {
            close(fd)
            return nil
        }
        Thread.detachNewThread { [self] in
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                // Once stop() has shut the socket down, recv returns 0 at once, every time: that
                // is not an empty datagram to pass on (it spun a core until berthd exited).
                if n < 0 || stopped { break }
                _ = buf.withUnsafeBytes { b in
                    client.withUnsafeBytes { c in
                        sendto(listener, b.baseAddress, n, Int32(MSG_NOSIGNAL), c.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(c.count))
                    }
                }
            }
            _ = state.withLock { $0.upstreams.removeValue(forKey: client) }
            close(fd)
        }
        return fd
    }
}

/// The two sockets of one TCP relay: each direction ends with a half-close of the other
/// side; both sockets close when both directions are done.
final class RelayPair: Sendable {
    let a: Int32, b: Int32
    let proxy: LoopbackProxy
    let remaining = Mutex(2)

    init(_ a: Int32, _ b: Int32, proxy: LoopbackProxy) {
        self.a = a
        self.b = b
        self.proxy = proxy
    }

    func pump(from src: Int32, to dst: Int32) {
        var buf = [UInt8](repeating: 0, count: 65536)
        copy: while true {
            let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var off = 0
            while off < n {
                let w = buf.withUnsafeBytes { send(dst, $0.baseAddress! + off, n - off, Int32(MSG_NOSIGNAL)) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { break copy }
                off += w
            }
        }
        shutdown(dst, Int32(SHUT_WR))
        // The reading side too: a peer that is gone ends the other direction's read.
        if remaining.withLock({ n in
            n -= 1; return n
        }) == 0 {
            proxy.untrackAndClose(a)
            proxy.untrackAndClose(b)
        }
    }
}

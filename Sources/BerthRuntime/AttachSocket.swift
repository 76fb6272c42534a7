import BerthCore
import Foundation

/// A client connection to conmon's attach socket (`<bundle>/attach`, SOCK_SEQPACKET). Each
/// packet conmon sends is one byte naming the stream (2 stdout, 3 stderr) and the data; what
/// is sent goes to the container's stdin (when conmon was started with `-i`).
// @unchecked: a socket read by one thread and written by another; closing is under `lock`.
public final class AttachSocket: @unchecked Sendable {
    public let fd: Int32
    private let lock = NSLock()
    private var closed = false

    /// Linux's O_PATH (Glibc hides it behind _GNU_SOURCE).
    static let oPath: Int32 = 0o10000000

    /// conmon's read buffer is 8 KiB plus the stream byte.
    static let packetSize = 8192 + 1

    private init(fd: Int32) { self.fd = fd }
    deinit { Glibc.close(fd) }

    /// Connects to `dir/attach`. Bundle paths are often longer than a socket address allows,
    /// so the address goes through `/proc/self/fd/<dir fd>` as conmon's own bind does.
    public static func connect(dir: String) throws -> AttachSocket {
        let dirFD = open(dir, Self.oPath | O_CLOEXEC)
        guard dirFD >= 0 else { throw BerthError.posix("open \(dir)") }
        defer { Glibc.close(dirFD) }
        let fd: Int32
        do { fd = try UnixSocket.connect("/proc/self/fd/\(dirFD)/attach", type: Int32(SOCK_SEQPACKET.rawValue)) } catch {
            throw BerthError(.internalError, "connect to \(dir)/attach: \(BerthError.from(error).message)")
        }
        return AttachSocket(fd: fd)
    }

    public enum Stream: Sendable { case stdout, stderr }

    /// The next packet, or nil when conmon closed the socket (the process is gone and its
    /// output drained) or this side was closed.
    public func receive() -> (Stream, Data)? {
        var buf = [UInt8](repeating: 0, count: Self.packetSize)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            if n == 1 { continue }
            return (buf[0] == 3 ? .stderr : .stdout, Data(buf[1..<n]))
        }
    }

    /// Sends stdin bytes, in packets conmon reads whole.
    public func send(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let end = min(data.count, offset + 8192)
            let n = data[offset..<end].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BerthError.posix("write to container stdin")
            }
            offset += n
        }
    }

    /// Ends stdin: conmon closes the container's stdin unless told to leave it open.
    public func closeWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Wakes a blocked `receive` and ends the connection; the fd itself closes on deinit.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        shutdown(fd, Int32(SHUT_RDWR))
    }

}

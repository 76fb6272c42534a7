import Foundation

/// Connecting to unix sockets (the API socket, conmon's attach sockets).
public enum UnixSocket {
    /// A connected socket of `type` (SOCK_STREAM, SOCK_SEQPACKET), close-on-exec. The path
    /// must fit a socket address; longer ones go through `/proc/self/fd/<dir fd>/<name>`.
    public static func connect(_ path: String, type: Int32) throws -> Int32 {
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError.posix("socket") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw BerthError.invalid("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            buf.copyBytes(from: bytes)
            buf[bytes.count] = 0
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if r != 0 {
            let e = errno
            close(fd)
            if e == EACCES || e == EPERM {
                throw BerthError(.permissionDenied, RootPermissions.deniedMessage("cannot connect to \(path)"))
            }
            throw BerthError(.unavailable, String(cString: strerror(e)))
        }
        return fd
    }
}

import CBerthSys
import Foundation

/// File operations on paths inside a container's root filesystem, resolved as the container
/// would resolve them: symlinks (also ones the container swaps in between two calls) and
/// `..` never lead out of the root. Everything berthd does inside a rootfs goes through here.
public struct InRoot: Sendable {
    // O_PATH through the C module: Glibc's overlay does not export it.
    static var pathFlag: Int32 { berth_O_PATH }

    /// The root directory on the host.
    public let root: String

    public init(_ root: String) { self.root = root }

    /// Tests: take the component walk (old kernels' path) even where openat2 exists.
    static func forceComponentWalk(_ on: Bool) { berth_open_in_root_force_walk(on ? 1 : 0) }

    /// Opens `path` (relative to the root, absolute or not) with `flags`; the caller closes.
    public func open(_ path: String, flags: Int32, mode: mode_t = 0) throws -> Int32 {
        let (fd, err) = openRaw(path, flags: flags, mode: mode)
        guard fd >= 0 else {
            throw BerthError(
                err == ENOENT ? .notFound : .internalError,
                "open \(path) in the container: \(String(cString: strerror(err)))")
        }
        return fd
    }

    /// As `open`, returning errno instead of throwing.
    func openRaw(_ path: String, flags: Int32, mode: mode_t = 0) -> (fd: Int32, errno: Int32) {
        let rootFD = Glibc.open(root, Self.pathFlag | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { return (-1, errno) }
        defer { close(rootFD) }
        let fd = berth_open_in_root(rootFD, path, flags, mode)
        return (fd, fd >= 0 ? 0 : errno)
    }

    /// Whether `path` resolves to something inside the root.
    public func exists(_ path: String) -> Bool {
        let (fd, _) = openRaw(path, flags: Self.pathFlag)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Reads a file inside the root (at most `limit` bytes: these are small config files);
    /// nil when it does not exist.
    public func read(_ path: String, limit: Int = 16 << 20) throws -> Data? {
        let (fd, err) = openRaw(path, flags: O_RDONLY | O_NOCTTY | O_NONBLOCK)
        if fd < 0 && (err == ENOENT || err == ENOTDIR) { return nil }
        guard fd >= 0 else { throw BerthError.internal("open \(path) in the container: \(String(cString: strerror(err)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw BerthError.invalid("\(path) in the container is not a regular file")
        }
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let n = Glibc.read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw BerthError.posix("read \(path) in the container") }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// `mkdir -p` inside the root: each missing directory is made in its resolved parent, so a
    /// symlink anywhere on the way is followed inside the root, never out of it.
    public func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        try makeDirectories(path, mode: mode, links: 0)
    }

    private func makeDirectories(_ path: String, mode: mode_t, links: Int) throws {
        guard links <= 40 else { throw BerthError.invalid("too many levels of symbolic links: \(path)") }
        var prefix = ""
        for part in path.split(separator: "/").map(String.init) {
            let parent = prefix.isEmpty ? "/" : prefix
            prefix += "/" + part
            let (existing, _) = openRaw(prefix, flags: Self.pathFlag | O_DIRECTORY)
            if existing >= 0 { close(existing); continue }
            if part == "." || part == ".." { continue }
            let dir = try open(parent, flags: Self.pathFlag | O_DIRECTORY)
            defer { close(dir) }
            if mkdirat(dir, part, mode) != 0 {
                guard errno == EEXIST else { throw BerthError.posix("mkdir \(prefix) in the container") }
                // A dangling symlink: make what it points to, resolved inside the root.
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(dir, part, &buf, buf.count - 1)
                if n > 0 {
                    let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    try makeDirectories(target.hasPrefix("/") ? target : parent + "/" + target, mode: mode, links: links + 1)
                }
            }
            // Whatever is there now (a directory, or a symlink the container raced in) must
            // resolve to a directory inside the root.
            let fd = try open(prefix, flags: Self.pathFlag | O_DIRECTORY)
            close(fd)
        }
    }

    /// A host path naming the directory `path` resolves to, stable while `body` runs even if
    /// the container swaps symlinks: `/proc/self/fd/N` of an O_PATH descriptor.
    public func withDirectory<T>(_ path: String, _ body: (_ hostPath: String) throws -> T) throws -> T {
        let fd = try open(path, flags: Self.pathFlag | O_DIRECTORY)
        defer { close(fd) }
        return try body("/proc/\(getpid())/fd/\(fd)")
    }
}

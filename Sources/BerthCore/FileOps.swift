import Foundation

/// Small file helpers that berth relies on for crash safety.
public enum FileOps {
    /// Writes `data` to `path` atomically: temp file in the same folder, fsync, rename.
    /// `durable` false skips the fsync, for files berth writes again whenever it needs them
    /// (a container's bundle config, hosts, hostname, resolv.conf): still never half-written.
    public static func writeAtomically(_ data: Data, to path: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = dir + "/.tmp-" + Identifier.random().prefix(16)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw BerthError.posix("create \(tmp)") }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        do {
            try data.withUnsafeBytes { try writeAll(fd, $0, what: tmp) }
        } catch {
            close(fd)
            throw error
        }
        if durable { fsync(fd) }
        close(fd)
        guard rename(tmp, path) == 0 else { throw BerthError.posix("rename \(tmp) to \(path)") }
        ok = true
    }

    /// Writes all of `buf` to `fd`, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer, what: String) throws {
        var off = 0
        while off < buf.count {
            let n = write(fd, buf.baseAddress! + off, buf.count - off)
            if n < 0 { if errno == EINTR { continue }; throw BerthError.posix("write \(what)") }
            off += n
        }
    }

    /// Reads `fd` to its end a megabyte at a time, handing each piece to `body` (EINTR retried).
    public static func readChunks(_ fd: Int32, what: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let size = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf, size)
            if n < 0 { if errno == EINTR { continue }; throw BerthError.posix("read \(what)") }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(start: buf, count: n))
        }
    }

    /// mkdir -p.
    public static func makeDirs(_ path: String, mode: Int = 0o755) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: [.posixPermissions: mode])
        } catch {
            throw BerthError.internal("cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    /// rm -rf that also clears immutable-free trees; ignores a missing path.
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Bytes of regular files under `path` (not following links).
    public static func treeSize(_ path: String) -> Int64 {
        guard let e = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let rel = e.nextObject() as? String {
            var st = stat()
            if lstat(path + "/" + rel, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { total += Int64(st.st_size) }
        }
        return total
    }

    /// fsyncs a directory so a rename inside it is durable.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// A file's size, -1 when it is missing.
    public static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : -1
    }

    /// The modification time in nanoseconds, or nil.
    public static func modificationTime(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// A fresh private directory under `parent`.
    public static func makeTempDir(in parent: String, prefix: String) throws -> String {
        try makeDirs(parent, mode: 0o700)
        let path = parent + "/" + prefix + "-" + Identifier.random().prefix(16)
        guard mkdir(path, 0o700) == 0 else { throw BerthError.posix("mkdir \(path)") }
        return path
    }
}

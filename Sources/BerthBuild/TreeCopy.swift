import BerthCore
import CBerthSys
import Foundation

/// COPY and ADD's file copying: a source file or tree (on the host, already resolved inside its
/// own root) into a directory inside an image's root. The destination directory is found as the
/// image would resolve it (symlinks followed inside the root); below it every entry is made
/// through directory descriptors without following symlinks, and a symlink found where a file
/// goes is replaced, never written through. Sources are never followed either: a symlink in the
/// context is copied as a symlink.
public struct TreeCopy {
    /// Owner for every copied entry (Docker's default is root) and the `--chmod` mode.
    public var uid: uid_t
    public var gid: gid_t
    public var mode: mode_t?

    public init(uid: uid_t = 0, gid: gid_t = 0, mode: mode_t? = nil) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }

    /// Copies `source` into the root's directory `destDir` under `name`; with `name` nil a
    /// directory source's contents go into `destDir` itself (COPY dir/ /dest/).
    public func copy(_ source: String, into root: InRoot, destDir: String, name: String?) throws {
        try root.makeDirectories(destDir)
        let dir = try root.open(destDir, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(dir) }
        var st = stat()
        guard lstat(source, &st) == 0 else { throw BerthError.posix("stat \(source)") }
        if let name {
            try copyEntry(source, st, dir, name)
        } else {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw BerthError.internal("\(source) is not a directory") }
            try copyChildren(source, dir)
            try setAttributes(fd: dir, st)
        }
    }

    private func copyChildren(_ source: String, _ dir: Int32) throws {
        for child in try FileManager.default.contentsOfDirectory(atPath: source).sorted() {
            var st = stat()
            let path = source + "/" + child
            guard lstat(path, &st) == 0 else { throw BerthError.posix("stat \(path)") }
            try copyEntry(path, st, dir, child)
        }
    }

    private func copyEntry(_ source: String, _ st: stat, _ dir: Int32, _ name: String) throws {
        var existing = stat()
        let exists = fstatat(dir, name, &existing, AT_SYMLINK_NOFOLLOW) == 0
        let type = st.st_mode & S_IFMT
        let existingType = existing.st_mode & S_IFMT
        // Whatever is in the way goes, except a directory where a directory is copied (merged).
        if exists && !(type == S_IFDIR && existingType == S_IFDIR) {
            if existingType == S_IFDIR {
                let fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if fd >= 0 { Self.removeContents(fd); close(fd) }
                unlinkat(dir, name, AT_REMOVEDIR)
            } else {
                unlinkat(dir, name, 0)
            }
        }
        switch type {
        case S_IFDIR:
            if !(exists && existingType == S_IFDIR) && mkdirat(dir, name, 0o700) != 0 {
                throw BerthError.posix("mkdir \(name)")
            }
            let fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw BerthError.posix("open \(name)") }
            defer { close(fd) }
            try copyChildren(source, fd)
            try setAttributes(fd: fd, st)
        case S_IFREG:
            let out = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard out >= 0 else { throw BerthError.posix("create \(name)") }
            defer { close(out) }
            let src = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
            guard src >= 0 else { throw BerthError.posix("open \(source)") }
            defer { close(src) }
            try Self.copyData(src, out, what: source)
            try setAttributes(fd: out, st)
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(source, &buf, buf.count - 1)
            guard n >= 0 else { throw BerthError.posix("readlink \(source)") }
            buf[n] = 0
            guard symlinkat(buf, dir, name) == 0 else { throw BerthError.posix("symlink \(name)") }
            fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW)
            var times = [st.st_atim, st.st_mtim]
            utimensat(dir, name, &times, AT_SYMLINK_NOFOLLOW)
        case S_IFIFO, S_IFCHR, S_IFBLK:
            guard mknodat(dir, name, st.st_mode, st.st_rdev) == 0 else { throw BerthError.posix("mknod \(name)") }
            fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW)
        default:
            break  // sockets are not copied
        }
    }

    private func setAttributes(fd: Int32, _ st: stat) throws {
        guard fchown(fd, uid, gid) == 0 || geteuid() != 0 else { throw BerthError.posix("chown") }
        let perms = mode ?? (st.st_mode & 0o7777)
        guard fchmod(fd, perms) == 0 else { throw BerthError.posix("chmod") }
        var times = [st.st_atim, st.st_mtim]
        futimens(fd, &times)
    }

    static func copyData(_ src: Int32, _ dst: Int32, what: String) throws {
        try FileOps.readChunks(src, what: what) { try FileOps.writeAll(dst, $0, what: what) }
    }

    /// Empties a directory through its descriptor (no symlink followed).
    static func removeContents(_ fd: Int32) {
        let dup = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard dup >= 0, let d = fdopendir(dup) else { return }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(d)
        for n in names {
            if unlinkat(fd, n, 0) == 0 { continue }
            let sub = openat(fd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub >= 0 { removeContents(sub); close(sub) }
            unlinkat(fd, n, AT_REMOVEDIR)
        }
    }
}

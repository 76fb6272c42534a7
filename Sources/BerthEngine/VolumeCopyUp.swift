import BerthCore
import CBerthSys
import Foundation

/// Docker's copy-up: a new, empty volume starts with what the image has at the path it is
/// mounted on — files, directories, owners, modes, times, symlinks, hard links, device nodes
/// and extended attributes. The source is opened inside the container's rootfs (`InRoot`:
/// no symlink on the way leads out of it); below it every entry is opened relative to its
/// parent's descriptor without following symlinks, so nothing the image contains can make
/// the copy read or write anywhere else.
enum VolumeCopyUp {
    /// Copies the directory `path` of `rootfs` into `dest`, a new directory (it must not
    /// exist). Returns false, making nothing, when the image has no directory there.
    static func copy(rootfs: String, path: String, to dest: String) throws -> Bool {
        guard let src = try? InRoot(rootfs).open(path, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC) else { return false }
        defer { close(src) }
        guard mkdir(dest, 0o700) == 0 else { throw BerthError.posix("mkdir \(dest)") }
        let dst = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dst >= 0 else { throw BerthError.posix("open \(dest)") }
        defer { close(dst) }
        var st = stat()
        guard fstat(src, &st) == 0 else { throw BerthError.posix("stat \(path) in the container") }
        var walk = Walk(root: dst)
        try walk.children(src, dst, prefix: "")
        try attributes(from: src, to: dst, st)
        // The copy is on disk before the caller renames it into place and records it.
        guard berth_syncfs(dst) == 0 else { throw BerthError.posix("sync \(dest)") }
        return true
    }

    /// One copy's state: the files with several links already copied, by (device, inode).
    private struct Walk {
        let root: Int32
        var linked: [String: String] = [:]

        mutating func children(_ src: Int32, _ dst: Int32, prefix: String) throws {
            for name in try names(src) {
                var st = stat()
                guard fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { throw BerthError.posix("stat \(prefix)\(name)") }
                try entry(name, st, src, dst, rel: prefix + name)
            }
        }

        mutating func entry(_ name: String, _ st: stat, _ src: Int32, _ dst: Int32, rel: String) throws {
            let type = st.st_mode & S_IFMT
            if type != S_IFDIR && st.st_nlink > 1 {
                let key = "\(st.st_dev):\(st.st_ino)"
                if let first = linked[key] {
                    guard linkat(root, first, dst, name, 0) == 0 else { throw BerthError.posix("link \(rel)") }
                    return
                }
                linked[key] = rel
            }
            switch type {
            case S_IFDIR:
                guard mkdirat(dst, name, 0o700) == 0 else { throw BerthError.posix("mkdir \(rel)") }
                let s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard s >= 0 else { throw BerthError.posix("open \(rel)") }
                defer { close(s) }
                let d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard d >= 0 else { throw BerthError.posix("open \(rel)") }
                defer { close(d) }
                try children(s, d, prefix: rel + "/")
                try VolumeCopyUp.attributes(from: s, to: d, st)
            case S_IFREG:
                let s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
                guard s >= 0 else { throw BerthError.posix("open \(rel)") }
                defer { close(s) }
                let d = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard d >= 0 else { throw BerthError.posix("create \(rel)") }
                defer { close(d) }
                try FileOps.readChunks(s, what: rel) { try FileOps.writeAll(d, $0, what: rel) }
                try VolumeCopyUp.attributes(from: s, to: d, st)
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(src, name, &buf, buf.count - 1)
                guard n >= 0 else { throw BerthError.posix("readlink \(rel)") }
                buf[n] = 0
                guard symlinkat(buf, dst, name) == 0 else { throw BerthError.posix("symlink \(rel)") }
                fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW)
                var times = [st.st_atim, st.st_mtim]
                utimensat(dst, name, &times, AT_SYMLINK_NOFOLLOW)
            case S_IFIFO, S_IFCHR, S_IFBLK:
                guard mknodat(dst, name, st.st_mode, st.st_rdev) == 0 else { throw BerthError.posix("mknod \(rel)") }
                fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW)
                // mknod's mode went through the umask.
                fchmodat(dst, name, st.st_mode & 0o7777, 0)
                var times = [st.st_atim, st.st_mtim]
                utimensat(dst, name, &times, AT_SYMLINK_NOFOLLOW)
            default:
                break  // sockets belong to the process that bound them; Docker skips them too
            }
        }

        func names(_ dir: Int32) throws -> [String] {
            let dup = fcntl(dir, F_DUPFD_CLOEXEC, 0)
            guard dup >= 0, let d = fdopendir(dup) else { throw BerthError.posix("read directory") }
            defer { closedir(d) }
            var out: [String] = []
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { out.append(name) }
            }
            return out.sorted()
        }
    }

    /// Owner, then mode (a chown clears set-id bits), extended attributes, then times.
    static func attributes(from src: Int32, to dst: Int32, _ st: stat) throws {
        guard fchown(dst, st.st_uid, st.st_gid) == 0 || geteuid() != 0 else { throw BerthError.posix("chown") }
        guard fchmod(dst, st.st_mode & 0o7777) == 0 else { throw BerthError.posix("chmod") }
        copyXattrs(src, dst)
        var times = [st.st_atim, st.st_mtim]
        futimens(dst, &times)
    }

    /// Where the filesystems have them; one the volume's cannot take is skipped (Docker's too).
    static func copyXattrs(_ src: Int32, _ dst: Int32) {
        let size = flistxattr(src, nil, 0)
        guard size > 0 else { return }
        var list = [CChar](repeating: 0, count: size)
        let n = flistxattr(src, &list, size)
        guard n > 0 else { return }
        var start = 0
        for i in 0..<n where list[i] == 0 {
            let name = String(cString: Array(list[start...i]))
            start = i + 1
            let len = fgetxattr(src, name, nil, 0)
            guard len >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: max(len, 1))
            let got = fgetxattr(src, name, &value, len)
            guard got >= 0 else { continue }
            _ = fsetxattr(dst, name, value, got, 0)
        }
    }
}

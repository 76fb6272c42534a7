import BerthCore
import CArchive
import CBerthSys
import Foundation

/// Unpacks a layer tar into a directory for overlayfs, refusing anything that would touch
/// a path outside it.
public struct LayerUnpacker: Sendable {
    /// Whether to restore owners and create device nodes (needs root).
    public var privileged: Bool
    /// Whether `.wh.` entries are overlayfs whiteouts (layers) or plain files (`cp`).
    public var whiteouts: Bool

    public init(privileged: Bool = geteuid() == 0, whiteouts: Bool = true) {
        self.privileged = privileged
        self.whiteouts = whiteouts
    }

    /// Unpacks `archivePath` (plain, gzip, zstd, …) into `dir`, which must exist and be empty.
    /// Returns the bytes of regular-file content written.
    @discardableResult
    public func unpack(_ archivePath: String, into dir: String) throws -> Int64 {
        try unpack(ArchiveReader(path: archivePath), into: dir)
    }

    func unpack(_ reader: ArchiveReader, into dir: String) throws -> Int64 {
        guard let disk = archive_write_disk_new() else { throw BerthError.internal("libarchive: out of memory") }
        defer { archive_write_free(disk) }
        var flags =
            ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
            | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK
        if privileged { flags |= ARCHIVE_EXTRACT_OWNER }
        archive_write_disk_set_options(disk, flags)

        var total: Int64 = 0
        // Directory times are set at the end, since writing into them changes them.
        while let entry = try reader.next() {
            guard let name = Entry.path(entry) else { throw BerthError.corrupt("archive entry without a name") }
            let parts = try PathSafety.components(of: name)
            guard let base = parts.last else { continue }  // "./": the layer root itself
            let parent = Array(parts.dropLast())
            try checkNoSymlink(dir: dir, parts: parent, entry: name)

            switch whiteouts ? try PathSafety.whiteout(base) : .none {
            case .opaque:
                let d = try ensureDirectory(dir: dir, parts: parent, entry: name)
                try setOpaque(d, entry: name)
                continue
            case .whiteout(let target):
                let d = try ensureDirectory(dir: dir, parts: parent, entry: name)
                try makeWhiteout(d + "/" + target, entry: name)
                continue
            case .none:
                break
            }

            if let link = Entry.hardlink(entry) {
                let lparts = try PathSafety.components(of: link, entry: name)
                guard !lparts.isEmpty else {
                    throw BerthError.corrupt("archive entry \"\(name)\" is a hard link to the layer root")
                }
                try checkNoSymlink(dir: dir, parts: Array(lparts.dropLast()), entry: name)
                let target = dir + "/" + lparts.joined(separator: "/")
                var st = stat()
                guard lstat(target, &st) == 0 else {
                    throw BerthError.corrupt("archive entry \"\(name)\" is a hard link to \"\(link)\", which is not in the archive before it")
                }
                archive_entry_set_hardlink(entry, target)
            }
            let ft = Entry.fileType(entry)
            if ft == S_IFSOCK { continue }
            if !privileged && (ft == S_IFCHR || ft == S_IFBLK) { continue }
            // An entry replacing a symlink must not write through it.
            let full = dir + "/" + parts.joined(separator: "/")
            var st = stat()
            if lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK && ft != S_IFLNK {
                unlink(full)
            }
            archive_entry_set_pathname(entry, full)
            if archive_write_header(disk, entry) < ARCHIVE_WARN {
                throw BerthError.corrupt("cannot unpack archive entry \"\(name)\": \(ArchiveReader.message(disk))")
            }
            if ft == S_IFREG && archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) > 0 {
                try reader.readData { buf in
                    let n = archive_write_data(disk, buf.baseAddress, buf.count)
                    if n < 0 {
                        throw BerthError.internal("cannot write \"\(name)\": \(ArchiveReader.message(disk))")
                    }
                }
                total += archive_entry_size(entry)
            }
            if archive_write_finish_entry(disk) < ARCHIVE_WARN {
                throw BerthError.internal("cannot finish \"\(name)\": \(ArchiveReader.message(disk))")
            }
        }
        if archive_write_close(disk) < ARCHIVE_WARN {
            throw BerthError.internal("cannot finish unpacking: \(ArchiveReader.message(disk))")
        }
        return total
    }

    /// Refuses the entry when any existing parent of it inside `dir` is a symlink.
    func checkNoSymlink(dir: String, parts: [String], entry: String) throws {
        var path = dir
        for p in parts {
            path += "/" + p
            var st = stat()
            if lstat(path, &st) != 0 { return }  // not there yet: created as a directory later
            let type = st.st_mode & S_IFMT
            if type == S_IFLNK {
                throw BerthError.corrupt(
                    "archive entry \"\(entry)\" would be written through the symlink \"\(parts.prefix(through: parts.firstIndex(of: p)!).joined(separator: "/"))\""
                )
            }
            if type != S_IFDIR {
                throw BerthError.corrupt("archive entry \"\(entry)\": \"\(p)\" is not a directory")
            }
        }
    }

    func ensureDirectory(dir: String, parts: [String], entry: String) throws -> String {
        var path = dir
        for p in parts {
            path += "/" + p
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw BerthError.posix("unpack \"\(entry)\": mkdir \(path)")
            }
        }
        return path
    }

    func setOpaque(_ dir: String, entry: String) throws {
        guard privileged else { return }
        let v = "y"
        if berth_lsetxattr(dir, OverlayXattrs.opaque, v, 1) != 0 {
            throw BerthError.posix("unpack \"\(entry)\": cannot mark \(dir) opaque")
        }
    }

    func makeWhiteout(_ path: String, entry: String) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { FileOps.removeTree(path) } else { unlink(path) }
        }
        guard privileged else { return }
        if berth_mkwhiteout(path) != 0 {
            throw BerthError.posix("unpack \"\(entry)\": cannot create whiteout \(path)")
        }
    }
}

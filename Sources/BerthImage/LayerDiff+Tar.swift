import BerthCore
import CArchive
import Foundation

/// Writes `LayerDiff` items as a gzip tar, the same bytes for the same changes.
final class LayerTarWriter {
    let handle: OpaquePointer
    let path: String

    init(path: String) throws {
        guard let a = archive_write_new() else { throw BerthError.internal("libarchive: out of memory") }
        handle = a
        self.path = path
        archive_write_set_format_pax_restricted(a)
        archive_write_add_filter_gzip(a)
        // No time in the gzip header: two writes of the same layer give the same digest.
        archive_write_set_filter_option(a, "gzip", "timestamp", nil)
        archive_write_set_bytes_in_last_block(a, 1)
        if archive_write_open_filename(a, path) != ARCHIVE_OK {
            throw BerthError.internal("cannot write \(path): \(ArchiveReader.message(a))")
        }
    }

    deinit { archive_write_free(handle) }

    func close() throws {
        if archive_write_close(handle) != ARCHIVE_OK {
            throw BerthError.internal("cannot write \(path): \(ArchiveReader.message(handle))")
        }
    }

    /// Adds one item; `links` maps inode to the first name of a hard-linked file.
    func add(_ item: LayerDiff.Item, clamp: Int64?, links: inout [String: String]) throws {
        let e = archive_entry_new()!
        defer { archive_entry_free(e) }
        let st = item.st
        var mtime = Int64(st.st_mtim.tv_sec)
        if let clamp, mtime > clamp { mtime = clamp }
        archive_entry_set_mtime(e, time_t(mtime), 0)
        archive_entry_set_uid(e, la_int64_t(st.st_uid))
        archive_entry_set_gid(e, la_int64_t(st.st_gid))
        let name = String(item.path.dropFirst())
        var dataFD: Int32 = -1
        defer { if dataFD >= 0 { Glibc.close(dataFD) } }
        switch item.node {
        case .whiteout:
            let parent = (name as NSString).deletingLastPathComponent
            let wh = PathSafety.whiteoutPrefix + item.name
            archive_entry_set_pathname_utf8(e, parent.isEmpty ? wh : parent + "/" + wh)
            archive_entry_set_filetype(e, UInt32(Glibc.S_IFREG))
            archive_entry_set_perm(e, 0o644)
            archive_entry_set_size(e, 0)
        case .opaqueMarker:
            archive_entry_set_pathname_utf8(e, name)
            archive_entry_set_filetype(e, UInt32(Glibc.S_IFREG))
            archive_entry_set_perm(e, 0o644)
            archive_entry_set_size(e, 0)
        case .entry:
            let type = st.st_mode & S_IFMT
            archive_entry_set_pathname_utf8(e, name)
            archive_entry_set_filetype(e, UInt32(type))
            archive_entry_set_perm(e, st.st_mode & 0o7777)
            for (k, v) in LayerDiff.keptXattrs(item.dirFD, item.name) {
                v.withUnsafeBytes { archive_entry_xattr_add_entry(e, k, $0.baseAddress, $0.count) }
            }
            switch type {
            case S_IFREG:
                let key = "\(st.st_dev):\(st.st_ino)"
                if st.st_nlink > 1, let first = links[key] {
                    archive_entry_set_hardlink_utf8(e, first)
                    archive_entry_set_size(e, 0)
                } else {
                    if st.st_nlink > 1 { links[key] = name }
                    archive_entry_set_size(e, la_int64_t(st.st_size))
                    dataFD = openat(item.dirFD, item.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
                    guard dataFD >= 0 else { throw BerthError.posix("open \(item.path) in the upper dir") }
                }
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(item.dirFD, item.name, &buf, buf.count - 1)
                guard n >= 0 else { throw BerthError.posix("readlink \(item.path)") }
                archive_entry_set_symlink_utf8(e, String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            case S_IFCHR, S_IFBLK:
                archive_entry_set_rdev(e, dev_t(st.st_rdev))
            default:
                break
            }
        }
        if archive_write_header(handle, e) != ARCHIVE_OK {
            throw BerthError.internal("cannot write \(item.path) to the layer: \(ArchiveReader.message(handle))")
        }
        if dataFD >= 0 { try copyData(dataFD, size: Int64(st.st_size), what: item.path) }
    }

    /// Copies exactly `size` bytes (a file that shrank meanwhile is padded, one that grew is cut:
    /// the header already promised the size).
    private func copyData(_ fd: Int32, size: Int64, what: String) throws {
        let cap = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        defer { buf.deallocate() }
        var left = size
        while left > 0 {
            var n = read(fd, buf, Int(min(Int64(cap), left)))
            if n < 0 {
                if errno == EINTR { continue }
                throw BerthError.posix("read \(what)")
            }
            if n == 0 {
                memset(buf, 0, Int(min(Int64(cap), left)))
                n = Int(min(Int64(cap), left))
            }
            var off = 0
            while off < n {
                let w = archive_write_data(handle, buf + off, n - off)
                if w < 0 { throw BerthError.internal("cannot write \(what) to the layer: \(ArchiveReader.message(handle))") }
                off += w
            }
            left -= Int64(n)
        }
    }
}

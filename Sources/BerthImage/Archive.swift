import BerthCore
import CArchive
import Foundation

/// Compression of a blob, sniffed from its first bytes.
public enum Compression: String, Sendable {
    case none, gzip, zstd, xz, bzip2

    public static func sniff(path: String) -> Compression {
        guard let fh = FileHandle(forReadingAtPath: path) else { return .none }
        defer { try? fh.close() }
        let head = [UInt8](fh.readData(ofLength: 6))
        if head.starts(with: [0x1f, 0x8b]) { return .gzip }
        if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if head.starts(with: [0x42, 0x5a, 0x68]) { return .bzip2 }
        return .none
    }
}

/// A libarchive reader over a file, any compression.
final class ArchiveReader {
    let handle: OpaquePointer
    let path: String

    /// What the reader's callbacks read from, kept alive with it.
    let kept: AnyObject?

    /// Opens `path` as a tar (any compression), or as a raw decompressed stream.
    convenience init(path: String, raw: Bool = false) throws {
        try self.init(path: path, raw: raw, keep: nil) { a in archive_read_open_filename(a, path, 1 << 16) }
    }

    /// A reader that `open` connects to its input; `keep` lives as long as it.
    init(path: String, raw: Bool, keep: AnyObject?, open: (OpaquePointer) -> Int32) throws {
        guard let a = archive_read_new() else { throw BerthError.internal("libarchive: out of memory") }
        handle = a
        self.path = path
        kept = keep
        archive_read_support_filter_all(a)
        if raw {
            archive_read_support_format_raw(a)
        } else {
            archive_read_support_format_tar(a)
        }
        if open(a) != ARCHIVE_OK {
            // deinit frees the handle: a throwing init runs it once all properties are set.
            throw BerthError.corrupt("cannot read archive: \(Self.message(a))")
        }
    }

    deinit { archive_read_free(handle) }

    /// libarchive's words, with the system's when a system call failed: a full disk reads
    /// "Write failed: no space left on device", not "Write failed".
    static func message(_ a: OpaquePointer) -> String {
        let text = archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
        let err = archive_errno(a)
        // libarchive's own codes (ARCHIVE_ERRNO_FILE_FORMAT…) are errno values too; only real
        // system errors add words.
        guard err > 0, [ENOSPC, EDQUOT, EIO, EROFS, EACCES, EPERM, ENOENT, EMFILE, ENFILE, EFBIG, ENAMETOOLONG].contains(err) else { return text }
        let sys = String(cString: strerror(err)).lowercased()
        return text.lowercased().contains(sys) ? text : text + ": " + sys
    }

    /// The next entry, or nil at the end. Corrupt or truncated input throws.
    func next() throws -> OpaquePointer? {
        var entry: OpaquePointer?
        let r = archive_read_next_header(handle, &entry)
        switch r {
        case ARCHIVE_EOF: return nil
        case ARCHIVE_OK, ARCHIVE_WARN: return entry
        default: throw BerthError.corrupt("corrupt archive: \(Self.message(handle))")
        }
    }

    /// Reads the current entry's data in blocks.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let size = 1 << 17
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = archive_read_data(handle, buf, size)
            if n < 0 { throw BerthError.corrupt("corrupt archive: \(Self.message(handle))") }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(start: buf, count: n))
        }
    }
}

/// Entry accessors.
enum Entry {
    static func path(_ e: OpaquePointer) -> String? {
        if let p = archive_entry_pathname_utf8(e) { return String(cString: p) }
        if let p = archive_entry_pathname(e) { return String(cString: p) }
        return nil
    }

    static func hardlink(_ e: OpaquePointer) -> String? {
        if let p = archive_entry_hardlink_utf8(e) { return String(cString: p) }
        if let p = archive_entry_hardlink(e) { return String(cString: p) }
        return nil
    }

    static func symlink(_ e: OpaquePointer) -> String? {
        if let p = archive_entry_symlink_utf8(e) { return String(cString: p) }
        if let p = archive_entry_symlink(e) { return String(cString: p) }
        return nil
    }

    static func fileType(_ e: OpaquePointer) -> mode_t { mode_t(archive_entry_filetype(e)) }
}

/// Writes plain tar archives (pax restricted, like Docker's).
public final class ArchiveWriter {
    let handle: OpaquePointer

    public init(fd: Int32) throws {
        guard let a = archive_write_new() else { throw BerthError.internal("libarchive: out of memory") }
        handle = a
        archive_write_set_format_pax_restricted(a)
        archive_write_set_bytes_in_last_block(a, 1)
        if archive_write_open_fd(a, fd) != ARCHIVE_OK {
            throw BerthError.internal("cannot write archive: \(ArchiveReader.message(a))")
        }
    }

    deinit { archive_write_free(handle) }

    public func close() throws {
        if archive_write_close(handle) != ARCHIVE_OK {
            throw BerthError.internal("cannot write archive: \(ArchiveReader.message(handle))")
        }
    }

    private func header(_ name: String, size: Int64, type: mode_t, mode: mode_t) throws {
        let e = archive_entry_new()!
        defer { archive_entry_free(e) }
        archive_entry_set_pathname_utf8(e, name)
        archive_entry_set_size(e, size)
        archive_entry_set_filetype(e, UInt32(type))
        archive_entry_set_perm(e, mode)
        archive_entry_set_mtime(e, 0, 0)
        if archive_write_header(handle, e) != ARCHIVE_OK {
            throw BerthError.internal("cannot write archive: \(ArchiveReader.message(handle))")
        }
    }

    public func addDirectory(_ name: String) throws { try header(name, size: 0, type: S_IFDIR, mode: 0o755) }

    public func addFile(_ name: String, data: Data, mode: mode_t = 0o644) throws {
        try header(name, size: Int64(data.count), type: S_IFREG, mode: mode)
        try data.withUnsafeBytes { try writeAll($0) }
    }

    /// Adds a file of known size whose bytes come from `producer`.
    public func addFile(_ name: String, size: Int64, producer: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try header(name, size: size, type: S_IFREG, mode: 0o644)
        var written: Int64 = 0
        try producer { buf in
            try self.writeAll(buf)
            written += Int64(buf.count)
        }
        guard written == size else { throw BerthError.internal("archive entry \(name): wrote \(written) of \(size) bytes") }
    }

    public func addFile(_ name: String, copying path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw BerthError.posix("stat \(path)") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BerthError.posix("open \(path)") }
        defer { Glibc.close(fd) }
        try addFile(name, size: Int64(st.st_size)) { sink in try FileOps.readChunks(fd, what: path, sink) }
    }

    private func writeAll(_ buf: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < buf.count {
            let n = archive_write_data(handle, buf.baseAddress! + off, buf.count - off)
            if n < 0 { throw BerthError.internal("cannot write archive: \(ArchiveReader.message(handle))") }
            off += n
        }
    }
}

/// Decompression to plain bytes (any format libarchive knows, or none).
public enum Decompress {
    /// Streams the decompressed bytes of `path` to `sink`.
    public static func stream(_ path: String, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if Compression.sniff(path: path) == .none {
            // Plain: read as is (libarchive's raw reader refuses empty files).
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw BerthError.posix("open \(path)") }
            defer { close(fd) }
            return try FileOps.readChunks(fd, what: path, sink)
        }
        let r = try ArchiveReader(path: path, raw: true)
        guard try r.next() != nil else { return }
        try r.readData(sink)
    }

    /// The sha256 and size of the decompressed content: a layer's diff id.
    public static func digest(_ path: String) throws -> (Digest, Int64) {
        if Compression.sniff(path: path) == .none { return try Digest.ofFile(path) }
        var d = StreamingDigest()
        try stream(path) { d.update($0) }
        return (d.finish(), d.count)
    }

    /// Writes the decompressed content of `path` to `dest`.
    public static func toFile(_ path: String, _ dest: String) throws {
        let fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BerthError.posix("create \(dest)") }
        defer { close(fd) }
        try stream(path) { try FileOps.writeAll(fd, $0, what: dest) }
    }
}

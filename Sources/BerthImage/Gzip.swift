import BerthCore
import CArchive
import Foundation

/// gzip of a whole file, streamed (one chunk in memory at a time) through libarchive's gzip
/// filter with no timestamp or name in the header: the same input gives the same bytes, so a
/// layer compressed again for another push keeps the digest recorded the first time.
public enum Gzip {
    /// Compresses `source` into `dest` (created, mode 0600); returns the digest and size of
    /// what was written.
    public static func compress(_ source: String, to dest: String) throws -> (Digest, Int64) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BerthError.posix("open \(source)") }
        defer { close(input) }
        let output = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BerthError.posix("create \(dest)") }
        defer { close(output) }
        guard let a = archive_write_new() else { throw BerthError.internal("libarchive: out of memory") }
        defer { archive_write_free(a) }
        func check(_ rc: Int32, _ what: String) throws {
            if rc < ARCHIVE_WARN { throw BerthError.internal("gzip \(source): \(what): \(ArchiveReader.message(a))") }
        }
        try check(archive_write_add_filter_gzip(a), "filter")
        try check(archive_write_set_filter_option(a, "gzip", "timestamp", nil), "options")
        try check(archive_write_set_format_raw(a), "format")
        archive_write_set_bytes_per_block(a, 0)
        try check(archive_write_open_fd(a, output), "open")
        let e = archive_entry_new()!
        defer { archive_entry_free(e) }
        archive_entry_set_filetype(e, 0o100000)  // AE_IFREG
        archive_entry_set_pathname(e, "layer.tar")
        try check(archive_write_header(a, e), "header")
        try FileOps.readChunks(input, what: source) { buf in
            var off = 0
            while off < buf.count {
                let n = archive_write_data(a, buf.baseAddress! + off, buf.count - off)
                guard n > 0 else { throw BerthError.internal("gzip \(source): \(ArchiveReader.message(a))") }
                off += n
            }
        }
        try check(archive_write_close(a), "close")
        guard fsync(output) == 0 || errno == EINVAL else { throw BerthError.posix("sync \(dest)") }
        return try Digest.ofFile(dest)
    }
}

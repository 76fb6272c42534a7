import BerthCore
import CArchive
import Foundation

/// A file one side writes while another reads it as it grows: a layer unpacked while its
/// download arrives. The writer tells how far it got, then that it finished (only once the
/// blob's digest is checked) or failed; the reader waits for bytes, never past what was written.
// @unchecked: every field is read and written under `cond`.
public final class GrowingFile: @unchecked Sendable {
    public let path: String
    private let cond = NSCondition()
    private var written: Int64 = 0
    private var ended = false
    private var failed = false

    public init(path: String) { self.path = path }

    /// A file already whole and verified: read without waiting.
    public static func complete(path: String) -> GrowingFile {
        let f = GrowingFile(path: path)
        f.grew(to: max(FileOps.size(path), 0))
        f.finish()
        return f
    }

    public func grew(to n: Int64) {
        cond.lock()
        written = n
        cond.broadcast()
        cond.unlock()
    }

    /// The whole file is there and verified.
    public func finish() {
        cond.lock()
        ended = true
        cond.broadcast()
        cond.unlock()
    }

    /// The writer gave up (a dropped transfer started over, a wrong digest, an error).
    public func fail() {
        cond.lock()
        failed = true
        cond.broadcast()
        cond.unlock()
    }

    /// Waits until there are bytes at `offset` or the file ended: how many there are (0 at
    /// the end), nil when the writer failed.
    func available(at offset: Int64) -> Int64? {
        cond.lock()
        defer { cond.unlock() }
        while !failed && !ended && written <= offset { cond.wait() }
        if failed { return nil }
        return max(written - offset, 0)
    }
}

/// libarchive's reader of a growing file: blocks in `read` until the writer has written more.
final class GrowingSource {
    let file: GrowingFile
    var fd: Int32 = -1
    var offset: Int64 = 0
    let size = 1 << 17
    let buf: UnsafeMutableRawPointer

    init(_ file: GrowingFile) {
        self.file = file
        buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    }

    deinit {
        if fd >= 0 { close(fd) }
        buf.deallocate()
    }

    /// Bytes read into `buf`; 0 at the end, -1 when the writer failed.
    func read() -> Int {
        guard let n = file.available(at: offset) else { return -1 }
        if n == 0 { return 0 }
        if fd < 0 {
            fd = open(file.path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { return -1 }
        }
        while true {
            let got = pread(fd, buf, min(Int(n), size), off_t(offset))
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return -1 }
            offset += Int64(got)
            return got
        }
    }
}

extension ArchiveReader {
    /// Reads `file` as it grows (any compression; a tar, or with `raw` the decompressed stream).
    convenience init(growing file: GrowingFile, raw: Bool) throws {
        let source = GrowingSource(file)
        try self.init(path: file.path, raw: raw, keep: source) { a in
            archive_read_open(
                a, Unmanaged.passUnretained(source).toOpaque(), nil,
                { _, client, out in
                    let s = Unmanaged<GrowingSource>.fromOpaque(client!).takeUnretainedValue()
                    let n = s.read()
                    out?.pointee = UnsafeRawPointer(s.buf)
                    return la_ssize_t(n)
                }, nil)
        }
    }

    /// Reads a tar from a pipe (no compression filter expected, any accepted).
    convenience init(fd: Int32, what: String) throws {
        try self.init(path: what, raw: false, keep: nil) { a in archive_read_open_fd(a, fd, 1 << 16) }
    }
}

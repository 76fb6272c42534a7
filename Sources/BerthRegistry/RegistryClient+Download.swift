import AsyncHTTPClient
import BerthCore
import BerthImage
import Foundation
import NIOCore

extension RegistryClient {
    /// GET of a blob streamed into `dest`, its digest computed as the bytes arrive and checked
    /// at the end (the file is not read again for it). A connection dropped mid-blob resumes
    /// with a Range request from the bytes already written (206), or starts over when the
    /// registry sends the whole blob (200); three tries without progress, then it fails. More
    /// bytes than `size` (the manifest's) or a wrong digest: refused, the file removed.
    /// `growing` hears each write, and the end only once the digest is checked, so a reader
    /// (the layer's unpacking) follows the download; a download that starts over fails it.
    public func download(
        _ path: String, to dest: String, digest: Digest, size: Int64? = nil, growing: GrowingFile? = nil, scope: String
    ) async throws -> Response {
        let url = try self.url(path)
        unlink(dest)
        let fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BerthError.posix("create \(dest)") }
        defer { close(fd) }
        var blob = PartialBlob(fd: fd, limit: size, growing: growing)
        var verified = false
        defer { if !verified { blob.growing?.fail() } }
        var attempt = 0
        while true {
            attempt += 1
            let last = attempt > Self.retries
            let before = blob.written
            do {
                let r = try await authorized(scope) { authorization in
                    var h: [String: String] = [:]
                    if let authorization { h["Authorization"] = authorization }
                    if blob.written > 0 { h["Range"] = "bytes=\(blob.written)-" }
                    return try await send("GET", url, headers: h, body: nil, timeout: .hours(6))
                }
                let code = Int(r.status.code)
                let resumes = code == 206 && blob.written > 0 && r.headers.first(name: "Content-Range")?.hasPrefix("bytes \(blob.written)-") == true
                if code == 200 || (code == 206 && !resumes) {
                    // The whole blob again (a registry that ignores Range): from the start.
                    if code == 206 { throw ShortBlob() }
                    try blob.restart()
                } else if !resumes {
                    let answer = try await Self.collect(r)
                    if !last && Self.retried(code) {
                        try await Self.backOff(attempt, retryAfter: answer.header("Retry-After").flatMap { Int($0) })
                        continue
                    }
                    unlink(dest)
                    return answer
                }
                for try await chunk in r.body { try blob.append(chunk) }
                if let size, blob.written < size { throw ShortBlob() }
                break
            } catch let e as BerthError {
                unlink(dest)
                throw e
            } catch {
                // Progress made: the next try resumes from there with its own three chances.
                if blob.written > before { attempt = 1 }
                guard attempt <= Self.retries, Self.transient(error) else {
                    unlink(dest)
                    if Task.isCancelled { throw CancellationError() }
                    throw BerthError.internal("fetching blob \(digest) from \(host): \(Self.describe(error))")
                }
                try await Self.backOff(attempt, retryAfter: nil)
            }
        }
        let got = blob.digest()
        guard got == digest else {
            unlink(dest)
            throw BerthError.corrupt("blob digest mismatch: expected \(digest), got \(got)")
        }
        verified = true
        blob.growing?.finish()
        return Response(status: 200, headers: [:], body: Data())
    }

    /// A blob ending before its size: a dropped transfer, resumed.
    struct ShortBlob: Error {}
}

/// The bytes of a blob written so far, and their running digest.
struct PartialBlob {
    let fd: Int32
    let limit: Int64?
    var written: Int64 = 0
    var hasher = StreamingDigest()
    /// Told of each write; dropped (failed) when the blob starts over.
    var growing: GrowingFile?

    init(fd: Int32, limit: Int64?, growing: GrowingFile?) {
        self.fd = fd
        self.limit = limit
        self.growing = growing
    }

    mutating func append(_ chunk: ByteBuffer) throws {
        if let limit, written + Int64(chunk.readableBytes) > limit {
            throw BerthError.corrupt("the registry sent more than the blob's size (\(limit) bytes)")
        }
        try chunk.withUnsafeReadableBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw BerthError.posix("write a downloaded blob") }
                off += n
            }
            hasher.update(raw)
        }
        written += Int64(chunk.readableBytes)
        growing?.grew(to: written)
    }

    mutating func restart() throws {
        guard written > 0 else { return }
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw BerthError.posix("truncate a downloaded blob") }
        // A reader that followed the first bytes cannot take the blob again from the start.
        growing?.fail()
        growing = nil
        written = 0
        hasher = StreamingDigest()
    }

    func digest() -> Digest { hasher.finish() }
}

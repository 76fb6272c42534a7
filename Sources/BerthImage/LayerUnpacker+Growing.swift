import BerthCore
import CBerthSys
import Foundation

extension LayerUnpacker {
    /// Unpacks a layer while its blob is still arriving, in one pass over its bytes: one thread
    /// decompresses the growing file and computes the diff id, handing the tar through a pipe to
    /// this one, which unpacks it. Returns the diff id and the bytes of file content; throws when
    /// the writer failed, or when the archive is bad.
    public func unpack(growing file: GrowingFile, into dir: String) throws -> (diffID: Digest, size: Int64) {
        var fds: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&fds) == 0 else { throw BerthError.posix("pipe") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let decompressed = DecompressResult()
        Thread.detachNewThread {
            defer { close(writeEnd) }
            decompressed.set(
                Result {
                    let raw = try ArchiveReader(growing: file, raw: true)
                    guard try raw.next() != nil else { throw BerthError.corrupt("layer \(file.path) is empty") }
                    var d = StreamingDigest()
                    try raw.readData { buf in
                        d.update(buf)
                        try FileOps.writeAll(writeEnd, buf, what: "the layer pipe")
                    }
                    return d.finish()
                })
        }
        let unpacked = Result { try unpack(ArchiveReader(fd: readEnd, what: file.path), into: dir) }
        // Read to the end whatever follows the tar (or all of it, if unpacking failed): the
        // decompressing thread never writes into a closed pipe.
        var sink = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = sink.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n > 0 || (n < 0 && errno == EINTR) { continue }
            break
        }
        close(readEnd)
        let diff = try decompressed.wait().get()
        return (diff, try unpacked.get())
    }
}

/// The decompressing thread's outcome, waited for.
// @unchecked: `result` is written once before the semaphore is signalled, read after.
final class DecompressResult: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Digest, any Error> = .failure(BerthError.internal("no result"))

    func set(_ r: Result<Digest, any Error>) {
        result = r
        done.signal()
    }

    func wait() -> Result<Digest, any Error> {
        done.wait()
        return result
    }
}

import BerthCore
import Foundation
import Testing

@testable import BerthImage

/// A layer unpacked while its file is still being written (a pull's one pass), in pieces from
/// another thread, as a download writes it.
@Suite struct GrowingUnpackTests {
    /// A gzip layer of a few files (python's tarfile and gzip), and its diff id.
    func gzipLayer() throws -> (path: String, diffID: Digest, dir: String) {
        let dir = NSTemporaryDirectory() + "berth-grow-" + Identifier.random().prefix(8)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let script = """
            import gzip, io, os, tarfile, sys
            buf = io.BytesIO()
            t = tarfile.open(fileobj=buf, mode="w")
            for name, data in (("etc/hello", b"hello\\n"), ("big", os.urandom(300000)), ("etc/bye", b"bye\\n")):
                ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644
                t.addfile(ti, io.BytesIO(data))
            t.close()
            open(sys.argv[1] + ".tar", "wb").write(buf.getvalue())
            open(sys.argv[1], "wb").write(gzip.compress(buf.getvalue()))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, dir + "/l.tgz"]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw BerthError.internal("python3 could not write the test layer")
        }
        return (dir + "/l.tgz", try Digest.ofFile(dir + "/l.tgz.tar").0, dir)
    }

    /// Writes `source` into `dest` in pieces, telling `file` after each; then `end`s it.
    func write(_ source: String, to dest: String, _ file: GrowingFile, cutAt: Int? = nil, end: @escaping @Sendable (GrowingFile) -> Void) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        FileManager.default.createFile(atPath: dest, contents: nil)
        Thread.detachNewThread {
            let h = FileHandle(forWritingAtPath: dest)!
            var off = 0
            let stop = cutAt ?? data.count
            while off < stop {
                let n = min(7000, stop - off)
                h.write(data[off..<(off + n)])
                off += n
                file.grew(to: Int64(off))
                usleep(200)
            }
            try? h.close()
            end(file)
        }
    }

    @Test func unpacksWhileTheFileGrowsAndComputesTheDiffID() throws {
        let (layer, diffID, dir) = try gzipLayer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = GrowingFile(path: dir + "/growing")
        try write(layer, to: file.path, file) { $0.finish() }
        let (diff, size) = try LayerUnpacker(privileged: false).unpack(growing: file, into: dir + "/out")
        #expect(diff == diffID)
        #expect(size == 300000 + 6 + 4)
        #expect(try String(contentsOfFile: dir + "/out/etc/hello", encoding: .utf8) == "hello\n")
        #expect(FileOps.size(dir + "/out/big") == 300000)
    }

    @Test func aWriterThatFailsEndsTheUnpackWithAnError() throws {
        let (layer, _, dir) = try gzipLayer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = GrowingFile(path: dir + "/growing")
        try write(layer, to: file.path, file, cutAt: 20000) { $0.fail() }
        #expect(throws: (any Error).self) { try LayerUnpacker(privileged: false).unpack(growing: file, into: dir + "/out") }
    }

    @Test func aTruncatedLayerIsRefused() throws {
        let (layer, _, dir) = try gzipLayer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = GrowingFile(path: dir + "/growing")
        // The writer says it finished, but half the gzip stream is missing.
        try write(layer, to: file.path, file, cutAt: 20000) { $0.finish() }
        #expect(throws: (any Error).self) { try LayerUnpacker(privileged: false).unpack(growing: file, into: dir + "/out") }
    }

    /// A layer whose download ended before anyone followed it: read at once, in the same pass.
    @Test func aCompleteFileIsUnpackedWithoutWaiting() throws {
        let (layer, diffID, dir) = try gzipLayer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (diff, size) = try LayerUnpacker(privileged: false).unpack(growing: .complete(path: layer), into: dir + "/out")
        #expect(diff == diffID && size == 300000 + 6 + 4)
        #expect(try String(contentsOfFile: dir + "/out/etc/bye", encoding: .utf8) == "bye\n")
        // The plain tar too: its diff id is its own digest.
        try FileManager.default.createDirectory(atPath: dir + "/out2", withIntermediateDirectories: true)
        #expect(try LayerUnpacker(privileged: false).unpack(growing: .complete(path: layer + ".tar"), into: dir + "/out2").diffID == diffID)
    }
}

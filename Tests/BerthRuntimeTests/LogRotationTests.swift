import BerthCore
import Foundation
import Testing

@testable import BerthRuntime

/// The rotator's shift and a follower, on real files: conmon's part (a new file renamed over
/// `ctr.log`) is done here by hand.
@Suite struct LogRotationTests {
    /// A folder as berthd keeps it for `max-file` > 1: `ctr.log` and its held link.
    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "berth-rot-" + Identifier.random().prefix(8)
        try FileOps.makeDirs(dir, mode: 0o700)
        try write(dir, from: 0)
        link(dir + "/ctr.log", dir + "/ctr.log.held")
        return dir
    }

    /// conmon starting a new file holding line `n`, then berthd's rotator shifting the names.
    func rotate(_ dir: String, to n: Int) throws {
        try Data(record(n).utf8).write(to: URL(fileURLWithPath: dir + "/ctr.log.tmp"))
        rename(dir + "/ctr.log.tmp", dir + "/ctr.log")
        #expect(LogRotator.rotate(dir: dir, maxFiles: 3))
    }

    func write(_ dir: String, from n: Int) throws {
        try Data(record(n).utf8).write(to: URL(fileURLWithPath: dir + "/ctr.log"))
    }

    func record(_ n: Int) -> String { "2026-01-01T00:00:00.000000001Z stdout F \(n)\n" }

    func read(_ r: LogReader) -> [String] {
        var out: [String] = []
        while true {
            let lines = r.next()
            if lines.isEmpty { return out }
            out += lines.map { String(decoding: $0.text, as: UTF8.self) }
        }
    }

    @Test func aFollowerGetsEveryFileHoweverManyRotationsPassBetweenLooks() throws {
        let dir = try folder()
        defer { FileOps.removeTree(dir) }
        let r = LogReader(dir: dir)
        #expect(read(r) == ["0\n"])
        // Five rotations before the next look: with 3 files kept, the names hold only the last
        // three; the reader was handed all five.
        for n in 1...5 { try rotate(dir, to: n) }
        #expect(read(r) == ["1\n", "2\n", "3\n", "4\n", "5\n"])
    }

    @Test func aStalledFollowerKeepsAFewFilesAndSaysWhereTheRestWent() throws {
        let dir = try folder()
        defer { FileOps.removeTree(dir) }
        let r = LogReader(dir: dir)
        #expect(read(r) == ["0\n"])
        for n in 1...20 { try rotate(dir, to: n) }
        let lines = read(r)
        let kept = (20 - LogReader.maxHeldAhead + 1...20).map { "\($0)\n" }
        #expect(lines == [LogReader.lostMarker] + kept)
    }

    @Test func aReaderStartedBetweenConmonsRenameAndTheShiftReadsTheHeldFile() throws {
        let dir = try folder()
        defer { FileOps.removeTree(dir) }
        try rotate(dir, to: 1)
        // conmon's new file is there; the rotator has not shifted yet.
        try Data(record(2).utf8).write(to: URL(fileURLWithPath: dir + "/ctr.log.tmp"))
        rename(dir + "/ctr.log.tmp", dir + "/ctr.log")
        let r = LogReader(dir: dir)
        #expect(read(r) == ["0\n", "1\n", "2\n"])
        #expect(LogRotator.rotate(dir: dir, maxFiles: 3))
        try rotate(dir, to: 3)
        #expect(read(r) == ["3\n"])
    }

    @Test func theOldestFileDoesNotBeginWithTheRestOfALineItsPredecessorTookAway() throws {
        let dir = try folder()
        defer { FileOps.removeTree(dir) }
        // Line "1234" cut in two by a rotation: "12" ends the first file, "34" begins the next.
        try Data((record(0) + "2026-01-01T00:00:00.000000002Z stdout P 12\n").utf8).write(to: URL(fileURLWithPath: dir + "/ctr.log"))
        try Data(("2026-01-01T00:00:00.000000003Z stdout F 34\n" + record(5)).utf8).write(to: URL(fileURLWithPath: dir + "/ctr.log.tmp"))
        rename(dir + "/ctr.log.tmp", dir + "/ctr.log")
        #expect(LogRotator.rotate(dir: dir, maxFiles: 3))
        // Read whole while both halves are there.
        #expect(read(LogReader(dir: dir)) == ["0\n", "1234\n", "5\n"])
        for n in 6...7 { try rotate(dir, to: n) }
        // The first half is gone: the reader starts at the next whole line.
        #expect(read(LogReader(dir: dir)) == ["5\n", "6\n", "7\n"])
        let tail = LogReader(dir: dir)
        tail.seekToTail(10)
        #expect(read(tail) == ["5\n", "6\n", "7\n"])
    }
}

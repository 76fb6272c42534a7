import BerthCore
import Foundation

/// One line a container wrote, reassembled from conmon's k8s-file records.
public struct LogLine: Sendable, Equatable {
    public enum Stream: UInt8, Sendable { case stdout = 1, stderr = 2 }
    public var time: Int64
    public var stream: Stream
    /// The bytes, with the trailing newline when the line was complete.
    public var text: Data
}

/// Reads conmon's k8s-file log: `<RFC3339Nano> <stdout|stderr> <F|P> <bytes>` per record, where
/// P marks a partial line continued by the next record of the same stream. The file stays open,
/// so a follower keeps reading even after the container (and its folder) is removed.
// @unchecked: one reader per request, its position moved by that request's stream alone.
public final class LogReader: @unchecked Sendable {
    /// The live file (conmon writes it).
    public let path: String
    /// Rotated files first, oldest first, then the live one.
    let files: [String]
    var index: Int
    var handle: FileHandle?
    var offset: UInt64 = 0
    var pending: [LogLine.Stream: LogLine] = [:]

    public convenience init(path: String) { self.init(paths: [path]) }

    /// Reads `paths` one after the other (`--log-opt max-file`'s rotated files, then the live one).
    public init(paths: [String]) {
        files = paths
        path = paths.last ?? ""
        index = 0
        handle = FileHandle(forReadingAtPath: files.first ?? "")
    }

    /// Moves to file `i`, at `offset`.
    func open(_ i: Int, at offset: UInt64) {
        try? handle?.close()
        index = i
        handle = FileHandle(forReadingAtPath: files[i])
        self.offset = offset
    }

    deinit { try? handle?.close() }

    /// Reads at most this much per call: a 500 MB log streams through a bounded buffer.
    public static let chunkSize = 1 << 20

    /// The complete lines written since the last call, at most `chunkSize` bytes of records;
    /// call again until it returns none to read everything there is.
    public func next() -> [LogLine] {
        guard var fh = handle else { return [] }
        while true {
            try? fh.seek(toOffset: offset)
            guard let data = try? fh.read(upToCount: Self.chunkSize), !data.isEmpty else {
                // A rotated file read to its end: the next one.
                if index < files.count - 1 {
                    open(index + 1, at: 0)
                    guard let next = handle else { return [] }
                    fh = next
                    continue
                }
                // conmon starts the log afresh at its size cap (a new file renamed over the
                // old): once the old one is read to its end, go on in the new one.
                guard let next = replacement(of: fh) else { return [] }
                try? fh.close()
                handle = next
                fh = next
                offset = 0
                continue
            }
            let (lines, used) = Self.lines(in: data, pending: &pending)
            if used == 0 {
                // No record ends in a whole chunk: not conmon's (its records are ~8 KB). Skip it,
                // unless it is the unfinished tail of the file.
                if data.count < Self.chunkSize { return [] }
                offset += UInt64(data.count)
                continue
            }
            offset += UInt64(used)
            return lines
        }
    }

    /// Starts reading at the last `count` complete lines (both streams), found by reading the
    /// files backwards from the live one: `logs --tail 5` of a huge log reads a few blocks.
    public func seekToTail(_ count: Int) {
        guard count >= 0 else { return }
        var remaining = count
        for i in stride(from: files.count - 1, through: 0, by: -1) {
            guard let fh = FileHandle(forReadingAtPath: files[i]) else { continue }
            defer { try? fh.close() }
            let (at, found) = Self.tailOffset(fd: fh.fileDescriptor, count: remaining, openLastLine: i == files.count - 1)
            if found >= remaining || i == 0 {
                open(i, at: at)
                return
            }
            remaining -= found
        }
    }

    /// Where the last `count` lines of one file start, and how many lines it has from there.
    static func tailOffset(fd: Int32, count: Int, openLastLine: Bool) -> (UInt64, Int) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return (0, 0) }
        let size = Int64(st.st_size)
        let block = 64 << 10
        var buf = [UInt8](repeating: 0, count: block)
        var end = size  // bytes before `end` not yet scanned
        var laterNewline: Int64 = -1  // the newline ending the record being looked at
        var found = 0
        var lastRecord = true
        // Counts the record starting at `start` (ending at `laterNewline`); true when enough.
        func counted(recordAt start: Int64) -> Bool {
            let final = Self.isFinal(fd: fd, recordStart: start)
            // A line still open at the end of the live file (output without a newline) is a line.
            if final || (lastRecord && openLastLine) { found += 1 }
            lastRecord = false
            return (final || found == 1) && found == count + 1
        }
        while end > 0 {
            let start = max(0, end - Int64(block))
            let n = pread(fd, &buf, Int(end - start), off_t(start))
            guard n > 0 else { return (0, found) }
            var i = n - 1
            while i >= 0 {
                if buf[i] == 0x0a {
                    let pos = start + Int64(i)
                    if laterNewline >= 0 && counted(recordAt: pos + 1) { return (UInt64(laterNewline + 1), count) }
                    laterNewline = pos
                }
                i -= 1
            }
            end = start
        }
        // The first record of the file ends a line too.
        if laterNewline >= 0 && counted(recordAt: 0) { return (UInt64(laterNewline + 1), count) }
        return (0, found)
    }

    /// Whether the record at `recordStart` ends a line (flag `F`).
    static func isFinal(fd: Int32, recordStart: Int64) -> Bool {
        var head = [UInt8](repeating: 0, count: 64)
        let n = pread(fd, &head, head.count, off_t(recordStart))
        guard n > 0 else { return false }
        let fields = head[0..<n].split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
        return fields.count >= 3 && fields[2].first == UInt8(ascii: "F")
    }

    /// The file now at `path`, when it is not the one `fh` reads (nil if the same or gone).
    func replacement(of fh: FileHandle) -> FileHandle? {
        var open = stat(), now = stat()
        guard fstat(fh.fileDescriptor, &open) == 0, stat(path, &now) == 0,
            now.st_ino != open.st_ino || now.st_dev != open.st_dev
        else { return nil }
        return FileHandle(forReadingAtPath: path)
    }

    /// Lines still open (partial records with no final one yet), e.g. output that ended without
    /// a newline; handed over as they are, in time order.
    public func flushPending() -> [LogLine] {
        let lines = pending.values.sorted { $0.time < $1.time }
        pending = [:]
        return lines
    }

    /// Parses every complete record in `data`; returns the lines and the bytes consumed.
    static func lines(in data: Data, pending: inout [LogLine.Stream: LogLine]) -> ([LogLine], Int) {
        var lines: [LogLine] = []
        var consumed = 0
        var start = data.startIndex
        while let nl = data[start...].firstIndex(of: 0x0a) {
            let record = data[start..<nl]
            start = nl + 1
            consumed = start - data.startIndex
            guard let line = Self.parse(record) else { continue }
            if var prev = pending[line.stream] {
                prev.text.append(line.text)
                if line.partial {
                    pending[line.stream] = prev
                } else {
                    prev.text.append(0x0a)
                    lines.append(prev)
                    pending[line.stream] = nil
                }
            } else if line.partial {
                pending[line.stream] = LogLine(time: line.time, stream: line.stream, text: line.text)
            } else {
                lines.append(LogLine(time: line.time, stream: line.stream, text: line.text + Data([0x0a])))
            }
        }
        return (lines, consumed)
    }

    static func parse(_ record: Data) -> (time: Int64, stream: LogLine.Stream, partial: Bool, text: Data)? {
        let parts = record.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3,
            let t = Clock.parseRFC3339(String(decoding: parts[0], as: UTF8.self))
        else { return nil }
        let stream: LogLine.Stream = parts[1].elementsEqual("stderr".utf8) ? .stderr : .stdout
        let partial = parts[2].elementsEqual("P".utf8)
        return (t, stream, partial, parts.count > 3 ? Data(parts[3]) : Data())
    }
}

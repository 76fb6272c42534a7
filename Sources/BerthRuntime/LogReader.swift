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
/// P marks a partial line continued by the next record of the same stream. Files are held open
/// from the moment they are seen, so a follower keeps reading even after the container (and its
/// folder) is removed, and a rotation (conmon's at max-size, berthd's `max-file` shift) cannot
/// delete a file it has not read: it reads each to its end, then the next, in order.
// @unchecked: one reader per request, its position moved by that request's stream alone.
public final class LogReader: @unchecked Sendable {
    /// The live file (conmon writes it).
    public let path: String
    /// The container's folder, where the rotated names are.
    let dir: String
    /// Every file to read, in order (the files given, then each one the rotations made); nil
    /// where a file could not be opened.
    var handles: [FileHandle?]
    var index = 0
    var offset: UInt64 = 0
    var pending: [LogLine.Stream: LogLine] = [:]
    /// A file by device and inode.
    struct FileID: Hashable {
        var dev: UInt64
        var ino: UInt64
    }
    /// The newest file held: a live file that differs is a rotation since.
    var newest: FileID?
    /// Where a rotation deleted files before this reader saw them (the index of the first file
    /// after the gap): said there once, as a line on stderr.
    var lostBefore: Int?
    var waitedForRotator = 0
    /// The file read last before the current one, and where it ended: berthd's rotator may
    /// still append its mark of a lost file to it, which is then read late rather than never.
    var left: (handle: FileHandle, offset: UInt64)?

    public convenience init(path: String) { self.init(paths: [path]) }

    /// Reads `paths` one after the other (`--log-opt max-file`'s rotated files, then the live one).
    public init(paths: [String]) {
        path = paths.last ?? ""
        dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        handles = LogFiles.renames.withLock { _ in paths.map { FileHandle(forReadingAtPath: $0) } }
        newest = handles.last.flatMap { $0 }.flatMap { Self.identity($0.fileDescriptor) }
    }

    /// Moves to file `i`, at `offset`.
    func open(_ i: Int, at offset: UInt64) {
        index = i
        self.offset = offset
    }

    deinit {
        for h in handles { try? h?.close() }
        try? left?.handle.close()
    }

    /// Reads at most this much per call: a 500 MB log streams through a bounded buffer.
    public static let chunkSize = 1 << 20

    /// The marker a reader puts in what it sends where a rotation deleted what it had not read.
    public static let lostMarker = "berth: log lines rotated away before they could be read are missing here\n"
    /// The marker berthd's rotator writes into the log where conmon started two files quicker
    /// than it could keep the first (that file is gone from the disk; a follower may have read it).
    public static let rotatedMarker = "berth: a log file was rotated away here quicker than berthd could keep it\n"

    /// The complete lines written since the last call, at most `chunkSize` bytes of records;
    /// call again until it returns none to read everything there is.
    public func next() -> [LogLine] {
        // Files a rotation made since the last call are held before anything can delete them.
        heldRotations()
        if let late = lateMark() { return late }
        while true {
            if handles.isEmpty || handles[index] == nil {
                // The live file did not exist yet (a container not started): look again.
                if handles.count == 1, let h = FileHandle(forReadingAtPath: path) {
                    handles[0] = h
                    newest = Self.identity(h.fileDescriptor)
                    continue
                }
                guard index < handles.count - 1 else { return [] }
                open(index + 1, at: 0)
                continue
            }
            let fh = handles[index]!
            try? fh.seek(toOffset: offset)
            guard let data = try? fh.read(upToCount: Self.chunkSize), !data.isEmpty else {
                // A file read to its end: the next one, if a rotation made one.
                if index == handles.count - 1 { heldRotations() }
                guard index < handles.count - 1 else { return [] }
                // berthd's rotator has not caught up with conmon's latest new file: wait for it
                // (a few calls, at most ~100), as it appends to this file the mark of a file a
                // rotation quicker than it deleted.
                if rotatorBehind(), waitedForRotator < 100 {
                    waitedForRotator += 1
                    return []
                }
                waitedForRotator = 0
                // Done with it (kept for a late mark only): its space goes back once rotation
                // has deleted it and the next file is left too.
                try? left?.handle.close()
                left = (fh, offset)
                handles[index] = nil
                open(index + 1, at: 0)
                if lostBefore == index {
                    lostBefore = nil
                    return [LogLine(time: Clock.nowNanos(), stream: .stderr, text: Data(Self.lostMarker.utf8))]
                }
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

    /// Records appended to the file left last since it was left (the rotator's mark).
    func lateMark() -> [LogLine]? {
        guard let l = left else { return nil }
        var st = stat()
        guard fstat(l.handle.fileDescriptor, &st) == 0, UInt64(st.st_size) > l.offset else { return nil }
        try? l.handle.seek(toOffset: l.offset)
        guard let data = try? l.handle.read(upToCount: Self.chunkSize), !data.isEmpty else { return nil }
        var none: [LogLine.Stream: LogLine] = [:]
        let (lines, used) = Self.lines(in: data, pending: &none)
        left = (l.handle, l.offset + UInt64(used))
        return lines.isEmpty ? nil : lines
    }

    /// When the live file is no longer the newest one held, a rotation happened: the files
    /// after that one (the rotated names, then the live one) are opened and queued in order.
    /// If the newest one held is gone from the names altogether, rotations went past it
    /// before this look, and what came between is lost (`lostBefore`).
    func heldRotations() {
        guard let known = newest else { return }
        var st = stat()
        guard stat(path, &st) == 0, FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino)) != known else { return }
        // Names listed and opened newest first, down to the newest file held, under the lock
        // berthd's shifts take: a file is known by what was opened, never by a name looked at
        // before (names move); conmon's rename of a new live file only adds a newer one. The
        // newest file held is open, so its inode cannot come back as another file's (inodes
        // of deleted files are reused at once; nothing else here is compared by inode).
        var chainCount = 0
        var found = false
        var after: [(FileHandle, FileID)] = []
        LogFiles.renames.withLock { _ in
            var chain = LogFiles.paths(dir: dir)
            // The held link too: between conmon's rename and berthd's shift the old live file
            // has no other name.
            chain.insert(dir + "/" + LogFiles.held, at: chain.count - 1)
            chainCount = chain.count
            for p in chain.reversed() {
                guard let h = FileHandle(forReadingAtPath: p), let id = Self.identity(h.fileDescriptor) else { continue }
                if id == known {
                    try? h.close()
                    found = true
                    return
                }
                after.insert((h, id), at: 0)
            }
        }
        // One file kept (max-file 1) has no names to find the old one by: conmon's new file
        // follows it directly.
        if !found && chainCount > 2 { lostBefore = handles.count }
        if !found, let last = handles.last.flatMap({ $0 }), let since = Self.firstTime(last.fileDescriptor) {
            // The newest file held has no name left: it went before berthd's rotator could
            // keep it, or rotations went past it. Names that are left may then be older files
            // (read already): only those that began after it are new.
            after = after.filter { h, _ in
                guard let t = Self.firstTime(h.fileDescriptor), t <= since else { return true }
                try? h.close()
                return false
            }
        }
        for (h, id) in after {
            // The held link and the live name are one file until the next rotation.
            if id == newest {
                try? h.close()
                continue
            }
            handles.append(h)
            newest = id
        }
        // A reader far behind (a slow client) holds at most this many files ahead of the one it
        // reads: each one held is disk a rotation could not give back. Past that the oldest
        // queued go, and the log says so where they were.
        let ahead = handles.count - 1 - index
        if ahead > Self.maxHeldAhead {
            let drop = ahead - Self.maxHeldAhead
            for k in (index + 1)...(index + drop) {
                try? handles[k]?.close()
                handles[k] = nil
            }
            lostBefore = index + 1
        }
    }

    /// Files a reader holds ahead of the one it reads, at most.
    static let maxHeldAhead = 8

    /// Whether the held link (max-file > 1) is not yet the live file.
    func rotatorBehind() -> Bool {
        var a = stat(), b = stat()
        guard stat(dir + "/" + LogFiles.held, &a) == 0, stat(path, &b) == 0 else { return false }
        return a.st_ino != b.st_ino || a.st_dev != b.st_dev
    }

    /// The time of a file's first record (nil while it has none).
    static func firstTime(_ fd: Int32) -> Int64? {
        var head = [UInt8](repeating: 0, count: 64)
        let n = pread(fd, &head, head.count, 0)
        guard n > 0, let space = head[0..<n].firstIndex(of: 0x20) else { return nil }
        return head.withUnsafeBytes { Clock.parseRFC3339(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<space])) }
    }

    static func identity(_ fd: Int32) -> FileID? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
    }

    /// Starts reading at the last `count` complete lines (both streams), found by reading the
    /// files backwards from the live one: `logs --tail 5` of a huge log reads a few blocks.
    public func seekToTail(_ count: Int) {
        guard count >= 0 else { return }
        var remaining = count
        for i in stride(from: handles.count - 1, through: 0, by: -1) {
            guard let fh = handles[i] else { continue }
            let (at, found) = Self.tailOffset(fd: fh.fileDescriptor, count: remaining, openLastLine: i == handles.count - 1)
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

    /// Lines still open (partial records with no final one yet), e.g. output that ended without
    /// a newline; handed over as they are, in time order.
    public func flushPending() -> [LogLine] {
        let lines = pending.values.sorted { $0.time < $1.time }
        pending = [:]
        return lines
    }

    /// Parses every complete record in `data`; returns the lines and the bytes consumed. The
    /// hot path of `logs -f` behind a fast writer: one pass over the bytes (memchr for the
    /// record ends), the fields found in place, one allocation per line (its text).
    static func lines(in data: Data, pending: inout [LogLine.Stream: LogLine]) -> ([LogLine], Int) {
        var lines: [LogLine] = []
        var consumed = 0
        data.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
            guard let base = all.baseAddress else { return }
            let end = all.count
            var start = 0
            while start < end, let hit = memchr(base + start, 0x0a, end - start) {
                let nl = UnsafeRawPointer(hit) - base
                let record = UnsafeRawBufferPointer(rebasing: all[start..<nl])
                start = nl + 1
                consumed = start
                guard let line = Self.parse(record) else { continue }
                if var prev = pending[line.stream] {
                    prev.text.append(contentsOf: line.text)
                    if line.partial {
                        pending[line.stream] = prev
                    } else {
                        prev.text.append(0x0a)
                        lines.append(prev)
                        pending[line.stream] = nil
                    }
                } else if line.partial {
                    pending[line.stream] = LogLine(time: line.time, stream: line.stream, text: Data(line.text))
                } else {
                    // The record's text and the newline it stands for, copied once.
                    var text = Data(count: line.text.count + 1)
                    text.withUnsafeMutableBytes { t in
                        if let a = line.text.baseAddress { t.baseAddress!.copyMemory(from: a, byteCount: line.text.count) }
                        t[line.text.count] = 0x0a
                    }
                    lines.append(LogLine(time: line.time, stream: line.stream, text: text))
                }
            }
        }
        return (lines, consumed)
    }

    /// One record's fields: `<time> <stream> <F|P>[ <text>]`; the text points into `record`.
    static func parse(_ record: UnsafeRawBufferPointer) -> (time: Int64, stream: LogLine.Stream, partial: Bool, text: UnsafeRawBufferPointer)? {
        func space(after i: Int) -> Int? {
            var k = i
            while k < record.count { if record[k] == 0x20 { return k }; k += 1 }
            return nil
        }
        guard let s1 = space(after: 0), let t = Clock.parseRFC3339(bytes: UnsafeRawBufferPointer(rebasing: record[0..<s1])) else {
            return nil
        }
        guard let s2 = space(after: s1 + 1) else { return nil }
        // conmon writes `stdout` or `stderr`: the fourth byte tells them apart.
        let stream: LogLine.Stream = s2 - s1 == 7 && record[s1 + 4] == UInt8(ascii: "e") ? .stderr : .stdout
        let s3 = space(after: s2 + 1) ?? record.count
        let flag = UnsafeRawBufferPointer(rebasing: record[(s2 + 1)..<s3])
        let partial = flag.count == 1 && flag[0] == UInt8(ascii: "P")
        let text = s3 < record.count ? UnsafeRawBufferPointer(rebasing: record[(s3 + 1)...]) : UnsafeRawBufferPointer(start: nil, count: 0)
        return (t, stream, partial, text)
    }
}

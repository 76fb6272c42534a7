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
/// folder) is removed, and a rotation cannot delete a file it has not read: it reads each to its
/// end, then the next, in order. With `max-file` > 1 berthd's rotator hands every reader each
/// new file as it makes it (`LogFiles.Inbox`), so none is missed however slow the reader; with
/// one file conmon's new file is found by its name.
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
    /// Where a rotation deleted files before this reader saw them, or it dropped files queued
    /// too far ahead (the index of the first file after each gap): said there once, as a line
    /// on stderr.
    var lostBefore = Set<Int>()
    /// Where rotations hand this reader their files (registered for `dir`).
    let inbox: LogFiles.Inbox
    /// Whether berthd's rotator keeps this log (its held link existed at the first new live
    /// file): files then come only from the inbox, in the rotator's order.
    var rotated = false
    /// The file read last before the current one, and where it ended: berthd's rotator may
    /// still append its mark of a lost file to it, which is then read late rather than never.
    var left: (handle: FileHandle, offset: UInt64)?

    public convenience init(path: String) { self.init(paths: [path]) }

    /// Reads `paths` one after the other (`--log-opt max-file`'s rotated files, then the live one).
    public convenience init(paths: [String]) {
        let last = paths.last ?? ""
        self.init(dir: String(last[..<(last.lastIndex(of: "/") ?? last.startIndex)]), paths: paths)
    }

    /// Reads every log file of the container folder `dir`, oldest first.
    public convenience init(dir: String) { self.init(dir: dir, paths: nil) }

    init(dir: String, paths given: [String]?) {
        self.dir = dir
        path = given?.last ?? dir + "/" + LogFiles.live
        let inbox = LogFiles.Inbox()
        self.inbox = inbox
        var opened: [FileHandle?] = []
        var heldOne: FileHandle?
        // Opened and registered at once under the lock the rotator shifts under: no file can
        // come between what was opened and what will be handed over.
        LogFiles.renames.withLock { followers in
            opened = (given ?? LogFiles.paths(dir: dir)).map { FileHandle(forReadingAtPath: $0) }
            // Between conmon's rename and the rotator's shift the old live file has no other name.
            if given == nil { heldOne = FileHandle(forReadingAtPath: dir + "/" + LogFiles.held) }
            followers[dir, default: [:]][ObjectIdentifier(inbox)] = inbox
        }
        if let h = heldOne, let live = opened.last, let l = live, Self.identity(h.fileDescriptor) != Self.identity(l.fileDescriptor) {
            opened.insert(h, at: opened.count - 1)
        } else {
            try? heldOne?.close()
        }
        handles = opened
        newest = handles.last.flatMap { $0 }.flatMap { Self.identity($0.fileDescriptor) }
        open(0, at: 0)
    }

    /// Moves to file `i`, at `offset`. The first file's start may be the rest of a line whose
    /// beginning went with an older file: that rest is skipped (it is no line of its own).
    func open(_ i: Int, at offset: UInt64) {
        index = i
        self.offset = offset
        if i == 0, offset == 0, handles.count > 1, let fd = handles[0]?.fileDescriptor, LogFiles.continues(fd) {
            self.offset = Self.firstLineStart(fd)
        }
    }

    /// Where the record after the first final one (flag `F`) begins.
    static func firstLineStart(_ fd: Int32) -> UInt64 {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = pread(fd, &buf, buf.count, 0)
        guard n > 0 else { return 0 }
        var start = 0
        while start < n, let nl = buf[start..<n].firstIndex(of: 0x0a) {
            let final = flag(buf[start..<nl]) == UInt8(ascii: "F")
            start = nl + 1
            if final { return UInt64(start) }
        }
        return 0
    }

    deinit {
        let key = ObjectIdentifier(inbox)
        LogFiles.renames.withLock { f in
            f[dir]?[key] = nil
            if f[dir]?.isEmpty == true { f[dir] = nil }
        }
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
                if let lost = lostHere() { return lost }
                continue
            }
            let fh = handles[index]!
            try? fh.seek(toOffset: offset)
            guard let data = try? fh.read(upToCount: Self.chunkSize), !data.isEmpty else {
                // A file read to its end: the next one, if a rotation made one.
                if index == handles.count - 1 { heldRotations() }
                guard index < handles.count - 1 else { return [] }
                // Done with it (kept for a late mark only): its space goes back once rotation
                // has deleted it and the next file is left too.
                try? left?.handle.close()
                left = (fh, offset)
                handles[index] = nil
                open(index + 1, at: 0)
                if let lost = lostHere() { return lost }
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

    /// At the first file after a gap: the lines left open before it, ended there (what would
    /// have ended them is gone: the next file's text must not join them), then the marker.
    func lostHere() -> [LogLine]? {
        guard lostBefore.remove(index) != nil else { return nil }
        // A gap runs on over dropped files to the next one held: one mark for all of it.
        var k = index
        while k < handles.count, handles[k] == nil {
            k += 1
            lostBefore.remove(k)
        }
        var lines = flushPending()
        for k in lines.indices { lines[k].text.append(0x0a) }
        return lines + [LogLine(time: Clock.nowNanos(), stream: .stderr, text: Data(Self.lostMarker.utf8))]
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

    /// Queues the files rotations made since the last look: those berthd's rotator handed
    /// over, or (one file, no rotator) conmon's new live file when it is not the newest held.
    func heldRotations() {
        let offered = inbox.take()
        if offered.dropped { lostBefore.insert(handles.count) }
        for fd in offered.fds { queue(FileHandle(fileDescriptor: fd, closeOnDealloc: true)) }
        if !rotated, let known = newest {
            var st = stat()
            // A new live file: berthd's rotator hands it over if it keeps this log (its held link
            // is made before any rotation); otherwise it is conmon's, taken by its name.
            if stat(path, &st) == 0, FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino)) != known {
                rotated = FileOps.exists(dir + "/" + LogFiles.held)
                if !rotated, let h = FileHandle(forReadingAtPath: path) { queue(h) }
            }
        }
        // A reader far behind (a slow client) holds at most this many files ahead of the one it
        // reads: each one held is disk a rotation could not give back. Past that the oldest
        // queued go, and the log says so where they were.
        let ahead = ((index + 1)..<max(index + 1, handles.count)).filter { handles[$0] != nil }
        if ahead.count > Self.maxHeldAhead {
            let drop = ahead.prefix(ahead.count - Self.maxHeldAhead)
            for k in drop {
                try? handles[k]?.close()
                handles[k] = nil
            }
            // Said once per gap: one that joins a gap dropped before is that gap.
            if let first = drop.first, first - 1 == index || handles[first - 1] != nil { lostBefore.insert(first) }
        }
    }

    /// Files a reader holds ahead of the one it reads, at most.
    static let maxHeldAhead = 8

    /// Adds a file after the newest one held, unless it is that one (the rotator hands over a
    /// live file this reader may have opened by its name already).
    func queue(_ h: FileHandle) {
        let id = Self.identity(h.fileDescriptor)
        guard id != newest else { try? h.close(); return }
        handles.append(h)
        newest = id
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
        return flag(head[0..<n]) == UInt8(ascii: "F")
    }

    /// A record's flag (`F` or `P`, the third field), from its first bytes.
    static func flag(_ record: ArraySlice<UInt8>) -> UInt8? {
        let fields = record.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
        return fields.count >= 3 ? fields[2].first : nil
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

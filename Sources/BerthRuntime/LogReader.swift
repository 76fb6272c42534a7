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
public final class LogReader: @unchecked Sendable {
    public let path: String
    let handle: FileHandle?
    var offset: UInt64 = 0
    var pending: [LogLine.Stream: LogLine] = [:]

    public init(path: String) {
        self.path = path
        handle = FileHandle(forReadingAtPath: path)
    }

    deinit { try? handle?.close() }

    /// The complete lines written since the last call.
    public func next() -> [LogLine] {
        guard let fh = handle else { return [] }
        try? fh.seek(toOffset: offset)
        let data = (try? fh.readToEnd()) ?? Data()
        let (lines, used) = Self.lines(in: data, pending: &pending)
        offset += UInt64(used)
        return lines
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
              let t = Clock.parseRFC3339(String(decoding: parts[0], as: UTF8.self)) else { return nil }
        let stream: LogLine.Stream = parts[1].elementsEqual("stderr".utf8) ? .stderr : .stdout
        let partial = parts[2].elementsEqual("P".utf8)
        return (t, stream, partial, parts.count > 3 ? Data(parts[3]) : Data())
    }
}

import BerthCore
import Foundation

/// Log lines as Docker's multiplexed stream: per line an 8-byte header (stream, 0, 0, 0,
/// big-endian length) and the bytes. `logs -f` behind a fast writer runs this for every line,
/// so it writes into one buffer sized up front (this module is built optimized in every
/// configuration: see Package.swift).
public enum LogFrames {
    public struct Options: Sendable {
        public var stdout = true
        public var stderr = true
        public var since: Int64?
        public var until: Int64?
        public var timestamps = false

        public init(stdout: Bool = true, stderr: Bool = true, since: Int64? = nil, until: Int64? = nil, timestamps: Bool = false) {
            self.stdout = stdout
            self.stderr = stderr
            self.since = since
            self.until = until
            self.timestamps = timestamps
        }
    }

    /// The frames of the lines `o` keeps, written in place into one buffer of their size.
    public static func encode(_ lines: [LogLine], _ o: Options) -> Data {
        var kept: [(LogLine, [UInt8])] = []
        kept.reserveCapacity(lines.count)
        var size = 0
        for l in lines {
            if l.stream == .stdout && !o.stdout || l.stream == .stderr && !o.stderr { continue }
            if let since = o.since, l.time < since { continue }
            if let until = o.until, l.time > until { continue }
            let stamp = o.timestamps ? Array((Clock.rfc3339Nano(l.time, trimZeros: false) + " ").utf8) : []
            size += 8 + stamp.count + l.text.count
            kept.append((l, stamp))
        }
        var out = Data(count: size)
        out.withUnsafeMutableBytes { (p: UnsafeMutableRawBufferPointer) in
            guard let base = p.baseAddress else { return }
            var at = 0
            for (l, stamp) in kept {
                let n = UInt32(stamp.count + l.text.count)
                base.storeBytes(of: l.stream.rawValue, toByteOffset: at, as: UInt8.self)
                base.storeBytes(of: 0, toByteOffset: at + 1, as: UInt8.self)
                base.storeBytes(of: 0, toByteOffset: at + 2, as: UInt8.self)
                base.storeBytes(of: 0, toByteOffset: at + 3, as: UInt8.self)
                base.storeBytes(of: n.bigEndian, toByteOffset: at + 4, as: UInt32.self)
                at += 8
                if !stamp.isEmpty {
                    stamp.withUnsafeBytes { (base + at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                    at += stamp.count
                }
                l.text.withUnsafeBytes { t in
                    if let a = t.baseAddress { (base + at).copyMemory(from: a, byteCount: t.count) }
                }
                at += l.text.count
            }
        }
        return out
    }
}

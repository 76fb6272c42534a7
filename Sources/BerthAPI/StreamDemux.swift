import BerthCore
import Foundation

/// Splits Docker's multiplexed stream (8-byte headers) onto our stdout and stderr. Here, in a
/// module built optimized in every configuration (Package.swift), as `logs -f` of a fast
/// writer runs it for every line.
public struct StreamDemux {
    var buffer: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: ArraySlice<UInt8>) {
        // Frames in a row for one fd go out in one write: a fast writer's lines are ~10 bytes,
        // and a write per line cannot keep up with it.
        var run: [UInt8] = []
        var runFD: Int32 = 1
        func flush() {
            // A closed terminal or pipe is not worth failing the container's exit code for.
            if !run.isEmpty { run.withUnsafeBytes { _ = try? FileOps.writeAll(runFD, $0, what: "output") } }
            run.removeAll(keepingCapacity: true)
        }
        frames(bytes) { fd, payload in
            if fd != runFD { flush(); runFD = fd }
            run.append(contentsOf: payload)
        }
        flush()
    }

    /// Hands over each whole frame that has arrived: its fd (1 or 2) and payload.
    public mutating func frames(_ bytes: ArraySlice<UInt8>, _ each: (Int32, ArraySlice<UInt8>) -> Void) {
        buffer.append(contentsOf: bytes)
        var start = 0
        while buffer.count - start >= 8 {
            let n = Int(buffer[start + 4]) << 24 | Int(buffer[start + 5]) << 16 | Int(buffer[start + 6]) << 8 | Int(buffer[start + 7])
            guard buffer.count - start - 8 >= n else { break }
            each(buffer[start] == 2 ? 2 : 1, buffer[(start + 8)..<(start + 8 + n)])
            start += 8 + n
        }
        buffer.removeFirst(start)
    }
}

import BerthAPI
import BerthCore
import Foundation

/// Splits Docker's multiplexed stream (8-byte headers) onto our stdout and stderr.
struct StreamDemux {
    var buffer: [UInt8] = []

    mutating func feed(_ bytes: ArraySlice<UInt8>) {
        frames(bytes) { fd, payload in
            // A closed terminal or pipe is not worth failing the container's exit code for.
            payload.withUnsafeBytes { try? FileOps.writeAll(fd, $0, what: "output") }
        }
    }

    /// Hands over each whole frame that has arrived: its fd (1 or 2) and payload.
    mutating func frames(_ bytes: ArraySlice<UInt8>, _ each: (Int32, ArraySlice<UInt8>) -> Void) {
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

import BerthCore
import Foundation

/// Watches input for the detach sequence (Docker's default ctrl-p ctrl-q). Bytes that might
/// start the sequence are held back until it is clear they do not.
public struct DetachKeys: Sendable {
    let keys: [UInt8]
    var matched = 0

    public init(_ keys: [UInt8]) { self.keys = keys }

    /// Returns what to pass on and whether the sequence was completed.
    public mutating func scan(_ data: Data) -> (Data, Bool) {
        var out = Data()
        for b in data {
            if b == keys[matched] {
                matched += 1
                if matched == keys.count { matched = 0; return (out, true) }
                continue
            }
            if matched > 0 { out.append(contentsOf: keys[0..<matched]); matched = 0 }
            if b == keys[0] { matched = 1; if keys.count == 1 { matched = 0; return (out, true) }; continue }
            out.append(b)
        }
        return (out, false)
    }

    /// Docker's `--detach-keys` syntax: comma-separated `ctrl-<x>` or single characters.
    public static func parse(_ spec: String) throws -> [UInt8] {
        if spec.isEmpty { return [] }
        var out: [UInt8] = []
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.lowercased()
            if p.count == 1, let c = p.utf8.first {
                out.append(UInt8(c))
            } else if p.hasPrefix("ctrl-"), p.count == 6, let c = p.utf8.last {
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): out.append(c - UInt8(ascii: "a") + 1)
                case UInt8(ascii: "@"): out.append(0)
                case UInt8(ascii: "["): out.append(27)
                case UInt8(ascii: "\\"): out.append(28)
                case UInt8(ascii: "]"): out.append(29)
                case UInt8(ascii: "^"): out.append(30)
                case UInt8(ascii: "_"): out.append(31)
                default: throw BerthError.invalid("Unknown character: '\(part)'")
                }
            } else {
                throw BerthError.invalid("Unknown character: '\(part)'")
            }
        }
        return out
    }

    public static let defaultKeys: [UInt8] = [16, 17]
}

import BerthCore
import Foundation
import Yams

/// Kubernetes YAML as plain values, read safely: Yams' own constructor traps on outside input
/// (a YAML 1.1 sexagesimal past Int's range, `1:0:0:0:0:0:0:0:0:0:0:0:0`; a mapping key that is
/// not a scalar, `{[a]: b}`), and aliases can make a small file stand for billions of values.
/// So the parsed nodes are checked for size, then turned into values here.
enum KubeYAML {
    /// At most this many values per document, aliases expanded (a real manifest has hundreds).
    static let maxNodes = 200_000

    /// Every document, nulls (empty documents) included.
    static func documents(_ text: String) throws -> [Any] {
        var out: [Any] = []
        var seq = try Yams.compose_all(yaml: text)
        while let node = seq.next() {
            var budget = maxNodes
            guard within(node, &budget, depth: 0) else {
                throw BerthError.invalid("the document has more than \(maxNodes) values or nests too deep (aliases expanded)")
            }
            out.append(try value(node))
        }
        // The sequence keeps a parse error instead of throwing it.
        if let e = seq.error { throw e }
        return out
    }

    /// Counts values, stopping as soon as the budget or a depth of 200 is passed.
    static func within(_ node: Node, _ budget: inout Int, depth: Int) -> Bool {
        budget -= 1
        guard budget >= 0, depth < 200 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let s):
            for n in s where !within(n, &budget, depth: depth + 1) { return false }
            return true
        case .mapping(let m):
            for (k, v) in m where !within(k, &budget, depth: depth + 1) || !within(v, &budget, depth: depth + 1) { return false }
            return true
        }
    }

    /// A node as plain values: maps with string keys (`<<` merges a mapping in, explicit keys
    /// winning), lists, and scalars by their resolved tag (null, bool, int, float; anything
    /// else, timestamps too, is its text).
    static func value(_ node: Node) throws -> Any {
        switch node {
        case .scalar(let s):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case Tag.Name.null: return NSNull()
            case Tag.Name.bool: return Bool.construct(from: s) ?? s.string
            case Tag.Name.int: return int(s.string) ?? s.string
            case Tag.Name.float: return Double.construct(from: s) ?? s.string
            default: return s.string
            }
        case .sequence(let seq):
            return try seq.map { try value($0) }
        case .mapping(let m):
            var out: [String: Any] = [:]
            var merged: [String: Any] = [:]
            for (k, v) in m {
                guard case .scalar(let key) = k else { throw BerthError.invalid("line \((k.mark?.line ?? 0)): a key must be a string") }
                if key.string == "<<", case .mapping = v, let more = try value(v) as? [String: Any] {
                    merged.merge(more) { a, _ in a }
                    continue
                }
                out[key.string] = try value(v)
            }
            return out.merging(merged) { a, _ in a }
        case .alias:
            throw BerthError.invalid("an unresolved alias")
        }
    }

    /// Integers by checked conversions only: decimal, 0x, 0o or 0 octal, 0b; a sexagesimal or
    /// out-of-range number stays text (Kubernetes refuses those anyway).
    static func int(_ text: String) -> Int? {
        let s = text.replacingOccurrences(of: "_", with: "")
        let negative = s.hasPrefix("-")
        let body = negative || s.hasPrefix("+") ? String(s.dropFirst()) : s
        let sign = negative ? "-" : ""
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            return Int(sign + body.dropFirst(prefix.count), radix: radix)
        }
        if body.count > 1, body.hasPrefix("0") { return Int(sign + body.dropFirst(), radix: 8) }
        return Int(sign + body)
    }
}

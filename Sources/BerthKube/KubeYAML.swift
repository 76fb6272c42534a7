import BerthCore
import Foundation
import Yams

/// Kubernetes YAML as plain values, read safely: Yams' own integer constructor traps on a
/// YAML 1.1 sexagesimal past Int's range (`1:0:0:0:0:0:0:0:0:0:0:0`), and aliases can make a
/// small file expand to billions of values; both are outside input here.
enum KubeYAML {
    /// At most this many values per document, aliases expanded (a real manifest has hundreds).
    static let maxNodes = 200_000

    /// Every document, nulls (empty documents) included.
    static func documents(_ text: String) throws -> [Any] {
        let constructor = Constructor(scalarMap)
        var out: [Any] = []
        var seq = try Yams.compose_all(yaml: text, .default, constructor)
        while let node = seq.next() {
            var budget = maxNodes
            guard within(node, &budget, depth: 0) else {
                throw BerthError.invalid("the document has more than \(maxNodes) values or nests too deep (aliases expanded)")
            }
            out.append(constructor.any(from: node))
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

    /// Yams' scalars, with integers read by checked conversions only: decimal, 0x, 0o/0 octal,
    /// 0b; a sexagesimal or out-of-range number stays a string (Kubernetes refuses those anyway).
    static var scalarMap: Constructor.ScalarMap {
        var map = Constructor.defaultScalarMap
        map[.int] = { scalar in
            let s = scalar.string.replacingOccurrences(of: "_", with: "")
            let negative = s.hasPrefix("-")
            let body = s.hasPrefix("-") || s.hasPrefix("+") ? String(s.dropFirst()) : s
            let sign = negative ? "-" : ""
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
                return Int(sign + body.dropFirst(prefix.count), radix: radix) ?? scalar.string
            }
            if body.count > 1, body.hasPrefix("0") { return Int(sign + body.dropFirst(), radix: 8) ?? scalar.string }
            return Int(sign + body) ?? scalar.string
        }
        return map
    }
}

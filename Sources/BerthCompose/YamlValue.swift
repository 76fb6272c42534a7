import BerthCore
import Foundation
import Yams

/// A Compose file's tree after parsing: plain values that remember where they were written
/// (file and line), so every error names the file, the line and the key. Anchors are resolved
/// by Yams; merge keys (`<<: *base`) here.
public indirect enum YamlValue: Sendable, Equatable {
    case string(String, Place)
    case map([(key: String, value: YamlValue)], Place)
    case list([YamlValue], Place)
    case null(Place)

    /// Where a value was written.
    public struct Place: Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var description: String { "\(file):\(line)" }
    }

    public static func == (a: YamlValue, b: YamlValue) -> Bool {
        switch (a, b) {
        case (.string(let x, _), .string(let y, _)): return x == y
        case (.null, .null): return true
        case (.list(let x, _), .list(let y, _)): return x == y
        case (.map(let x, _), .map(let y, _)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public var place: Place {
        switch self {
        case .string(_, let p), .map(_, let p), .list(_, let p), .null(let p): return p
        }
    }

    public var string: String? {
        if case .string(let s, _) = self { return s }
        return nil
    }

    public var pairs: [(key: String, value: YamlValue)]? {
        if case .map(let m, _) = self { return m }
        return nil
    }

    public subscript(key: String) -> YamlValue? {
        pairs?.last { $0.key == key }?.value
    }

    /// Parses one YAML document (an empty file is an empty map).
    public static func parse(_ text: String, file: String) throws -> YamlValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw BerthError.invalid("\(file): invalid YAML: \(e)")
        } catch {
            throw BerthError.invalid("\(file): invalid YAML: \(error)")
        }
        guard let node else { return .map([], Place(file: file, line: 1)) }
        var budget = maxValues
        return try convert(node, file: file, depth: 0, budget: &budget)
    }

    /// At most this many values, aliases expanded: a few lines of nested aliases can stand for
    /// billions (a real Compose file has hundreds).
    static let maxValues = 200_000

    static func convert(_ node: Node, file: String, depth: Int, budget: inout Int) throws -> YamlValue {
        let place = Place(file: file, line: node.mark?.line ?? 0)
        // Aliases can nest; a bounded depth keeps a hostile file from exhausting the stack.
        guard depth < 200 else { throw BerthError.invalid("\(place): the document nests too deep") }
        budget -= 1
        guard budget >= 0 else { throw BerthError.invalid("\(place): the document has more than \(maxValues) values (aliases expanded)") }
        switch node {
        case .scalar(let s):
            if (s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)) {
                return .null(place)
            }
            return .string(s.string, place)
        case .sequence(let seq):
            return .list(try seq.map { try convert($0, file: file, depth: depth + 1, budget: &budget) }, place)
        case .mapping(let m):
            var out: [(key: String, value: YamlValue)] = []
            var merged: [(key: String, value: YamlValue)] = []
            for (k, v) in m {
                guard let key = k.string else { throw BerthError.invalid("\(place): a key must be a string") }
                let value = try convert(v, file: file, depth: depth + 1, budget: &budget)
                if key == "<<" {
                    // YAML merge keys: the mappings' entries, explicit keys winning.
                    let sources: [YamlValue]
                    if case .list(let l, _) = value { sources = l } else { sources = [value] }
                    for src in sources {
                        guard let p = src.pairs else { throw BerthError.invalid("\(src.place): '<<' takes a mapping") }
                        for e in p where !merged.contains(where: { $0.key == e.key }) { merged.append(e) }
                    }
                    continue
                }
                if out.contains(where: { $0.key == key }) { throw BerthError.invalid("\(value.place): key '\(key)' appears twice") }
                out.append((key, value))
            }
            for e in merged where !out.contains(where: { $0.key == e.key }) { out.append(e) }
            return .map(out, place)
        case .alias:
            throw BerthError.invalid("\(place): unresolved alias")
        }
    }

    /// The value as plain Swift values (for `config` and hashing).
    public var plain: Any {
        switch self {
        case .string(let s, _): return s
        case .null: return NSNull()
        case .list(let l, _): return l.map(\.plain)
        case .map(let m, _):
            var d: [String: Any] = [:]
            for (k, v) in m { d[k] = v.plain }
            return d
        }
    }
}

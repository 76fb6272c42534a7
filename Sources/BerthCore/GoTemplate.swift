import Foundation

/// One row for a `--format` template: its fields as Docker's formatter shows them.
public struct TemplateRow: Sendable {
    public var fields: [String: String]
    public var labels: [String: String]
    /// `{{json .}}`.
    public var json: String
    /// `{{json .Field}}` for fields whose value is not a string (objects, numbers, …): their JSON.
    public var jsonFields: [String: String]

    public init(fields: [String: String], labels: [String: String] = [:], json: String, jsonFields: [String: String] = [:]) {
        self.fields = fields
        self.labels = labels
        self.json = json
        self.jsonFields = jsonFields
    }
}

/// The part of Go's text/template that Docker users put in `--format`: `{{.Field}}`,
/// `{{json .}}`, `{{json .Field}}`, `{{.Label "k"}}`, `{{index .Map "k"}}`, `{{index .List 0}}`,
/// `{{upper .X}}`, `{{lower .X}}`, `{{println}}`.
public struct GoTemplate: Sendable {
    enum Node: Sendable {
        case text(String)
        case field(String, transform: String?)
        case json(String?)
        case label(String)
        case newline
    }
    let nodes: [Node]

    /// Whether the template prints `{{json .}}` (callers skip building that text otherwise).
    public var usesWholeJSON: Bool {
        nodes.contains {
            if case .json(nil) = $0 { return true }; return false
        }
    }

    /// Field names in order of appearance (for table headers).
    public var fieldNames: [String] {
        nodes.compactMap {
            if case .field(let f, _) = $0 { return f }; return nil
        }
    }

    public init(_ source: String) throws {
        // Docker turns the two-character escapes into real tabs and newlines.
        let text = source.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
        var nodes: [Node] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { nodes.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw BerthError.invalid("template parsing error: unclosed action in \(source)")
            }
            var action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if action.hasPrefix("-") { action = action.dropFirst().trimmingCharacters(in: .whitespaces) }
            if action.hasSuffix("-") { action = action.dropLast().trimmingCharacters(in: .whitespaces) }
            nodes.append(try Self.parse(action, source: source))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { nodes.append(.text(String(rest))) }
        self.nodes = nodes
    }

    static func parse(_ action: String, source: String) throws -> Node {
        let words = action.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        func fieldName(_ w: String) throws -> String {
            guard w.hasPrefix("."), w.count > 1 else {
                throw BerthError.invalid("template parsing error: unexpected \"\(w)\" in \(source)")
            }
            return String(w.dropFirst())
        }
        switch words.first {
        case nil: throw BerthError.invalid("template parsing error: missing value for command in \(source)")
        case "json":
            guard words.count == 2 else { throw BerthError.invalid("template parsing error: json takes one argument") }
            return .json(words[1] == "." ? nil : try fieldName(words[1]))
        case "upper", "lower", "title":
            guard words.count == 2 else { throw BerthError.invalid("template parsing error: \(words[0]) takes one argument") }
            return .field(try fieldName(words[1]), transform: words[0])
        case "println":
            return .newline
        case ".Label":
            guard words.count == 2 else { throw BerthError.invalid("template parsing error: .Label takes one argument") }
            return .label(words[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        case "index":
            // `index .Config.Labels "k"`, `index .Args 0`: a map's key or a list's element.
            guard words.count >= 3 else { throw BerthError.invalid("template parsing error: index takes a value and a key") }
            let keys = try words[2...].map { w -> String in
                if w.count >= 2, w.hasPrefix("\""), w.hasSuffix("\"") { return String(w.dropFirst().dropLast()) }
                guard Int(w) != nil else { throw BerthError.invalid("template parsing error: index key \(w) is not a string or a number") }
                return w
            }
            let base = try fieldName(words[1])
            if base == "Labels" && keys.count == 1 { return .label(keys[0]) }
            return .field(([base] + keys).joined(separator: "."), transform: "index")
        default:
            guard words.count == 1 else {
                throw BerthError.invalid("template parsing error: function \"\(words[0])\" not defined")
            }
            return .field(try fieldName(words[0]), transform: nil)
        }
    }

    public func render(_ row: TemplateRow) throws -> String {
        var out = ""
        for n in nodes {
            switch n {
            case .text(let t): out += t
            case .newline: out += "\n"
            case .label(let k): out += row.labels[k] ?? ""
            case .json(nil): out += row.json
            case .json(let f?):
                if let raw = row.jsonFields[f] { out += raw; continue }
                let v = try value(f, row)
                let data = (try? JSONSerialization.data(withJSONObject: [v], options: [.withoutEscapingSlashes])) ?? Data()
                out += String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
            case .field(let f, "index"):
                // A key a map does not have is its zero value, as Go's index gives.
                out += row.fields[f] ?? ""
            case .field(let f, let t):
                let v = try value(f, row)
                switch t {
                case "upper": out += v.uppercased()
                case "lower": out += v.lowercased()
                case "title": out += v.capitalized
                default: out += v
                }
            }
        }
        return out
    }

    func value(_ f: String, _ row: TemplateRow) throws -> String {
        guard let v = row.fields[f] else {
            throw BerthError.invalid("template: executing \"\" at <.\(f)>: can't evaluate field \(f)")
        }
        return v
    }
}

/// Go's text/tabwriter as Docker configures it (min width, padding), for tables.
public enum TabWriter {
    /// Aligns `\t`-separated cells; the last cell of a line is not padded.
    public static func format(_ lines: [String], minWidth: Int = 10, padding: Int = 3) -> String {
        format(
            rows: lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false) },
            minWidth: minWidth, padding: padding)
    }

    /// Aligns rows of cells.
    public static func format<S: StringProtocol>(rows: [[S]], minWidth: Int = 10, padding: Int = 3) -> String {
        let strings: [[String]] = rows.map { r in r.map { String($0) } }
        return format(rows: strings, minWidth: minWidth, padding: padding)
    }

    /// Aligns rows of cells (concrete, for the big tables: `ps -a` with 10,000 rows).
    public static func format(rows: [[String]], minWidth: Int = 10, padding: Int = 3) -> String {
        // Go counts runes: unicode scalars, not grapheme clusters. Each cell is measured once.
        var measured: [[Int]] = []
        measured.reserveCapacity(rows.count)
        var widths: [Int] = []
        for r in rows {
            var ws: [Int] = []
            ws.reserveCapacity(r.count)
            for (i, c) in r.enumerated() {
                let w = runes(c)
                ws.append(w)
                guard i < r.count - 1 else { continue }
                let cell = w + padding
                if i >= widths.count { widths.append(max(minWidth, cell)) } else if cell > widths[i] { widths[i] = cell }
            }
            measured.append(ws)
        }
        var out = [UInt8]()
        out.reserveCapacity(rows.count * (widths.reduce(0, +) + 24))
        for (r, ws) in zip(rows, measured) {
            for (i, c) in r.enumerated() {
                out.append(contentsOf: c.utf8)
                if i < r.count - 1 {
                    for _ in 0..<(widths[i] - ws[i]) { out.append(0x20) }
                }
            }
            out.append(0x0a)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Unicode scalars in `s`, counted from its UTF-8 (ASCII text is its byte count).
    static func runes(_ s: String) -> Int {
        var s = s
        return s.withUTF8 { buf in
            var n = 0
            for b in buf where b & 0xC0 != 0x80 { n += 1 }
            return n
        }
    }
}

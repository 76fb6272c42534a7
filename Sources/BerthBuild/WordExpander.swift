import BerthCore
import Foundation

/// Docker's Dockerfile word rules: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`,
/// `${VAR-default}`, `${VAR+alt}`; single quotes literal, double quotes expand, the escape
/// character (`\` or `` ` ``) takes the next character as is. Quotes are removed.
public struct WordExpander: Sendable {
    public var escape: Character
    public init(escape: Character = "\\") { self.escape = escape }

    /// Splits on unquoted blanks, keeping quotes and escapes (for `expand` to process).
    public func words(_ s: String) throws -> [String] {
        var out: [String] = []
        var cur = ""
        var quote: Character?
        var inWord = false
        var it = s.makeIterator()
        while let c = it.next() {
            if c == escape && quote != "'" {
                cur.append(c)
                if let n = it.next() { cur.append(n) }
                inWord = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil }
                cur.append(c)
                continue
            }
            if c == "\"" || c == "'" { quote = c; cur.append(c); inWord = true; continue }
            if c.isWhitespace {
                if inWord { out.append(cur); cur = ""; inWord = false }
                continue
            }
            cur.append(c)
            inWord = true
        }
        if quote != nil { throw BerthError.invalid("unexpected end of statement while looking for matching \(quote!)") }
        if inWord { out.append(cur) }
        return out
    }

    /// Expands one word against `env`, removing quotes and escapes.
    public func expand(_ s: String, _ env: [String: String]) throws -> String {
        let chars = Array(s)
        var i = 0
        var out = ""
        var quote: Character?
        while i < chars.count {
            let c = chars[i]
            if c == escape && quote != "'" {
                if i + 1 < chars.count {
                    // Inside double quotes only `"`, `$` and the escape itself are escapable.
                    let n = chars[i + 1]
                    if quote == "\"" && n != "\"" && n != "$" && n != escape { out.append(c) }
                    out.append(n)
                    i += 2
                } else {
                    out.append(c)
                    i += 1
                }
                continue
            }
            if quote == nil && (c == "'" || c == "\"") { quote = c; i += 1; continue }
            if let q = quote, c == q { quote = nil; i += 1; continue }
            if c == "$" && quote != "'" {
                let (value, used) = try variable(chars, from: i + 1, env)
                if used == 0 { out.append("$") } else { out += value }
                i += 1 + used
                continue
            }
            out.append(c)
            i += 1
        }
        if quote != nil { throw BerthError.invalid("unexpected end of statement while looking for matching \(quote!)") }
        return out
    }

    /// Expands every word of `s` and joins them with one blank (WORKDIR, USER, …).
    public func expandLine(_ s: String, _ env: [String: String]) throws -> String {
        try words(s).map { try expand($0, env) }.joined(separator: " ")
    }

    /// The value of the variable reference starting at `i` (after `$`), and how many
    /// characters it took (0: not a reference, the `$` stays).
    private func variable(_ c: [Character], from i: Int, _ env: [String: String]) throws -> (String, Int) {
        guard i < c.count else { return ("", 0) }
        if c[i] == "{" {
            guard let close = c[i...].firstIndex(of: "}") else { throw BerthError.invalid("missing '}' in variable reference") }
            let body = String(c[(i + 1)..<close])
            let used = close - i + 1
            let nameEnd = body.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? body.endIndex
            let name = String(body[..<nameEnd])
            guard !name.isEmpty else { throw BerthError.invalid("bad substitution: ${\(body)}") }
            let op = body[nameEnd...]
            let value = env[name]
            if op.isEmpty { return (value ?? "", used) }
            let colon = op.hasPrefix(":")
            let rest = colon ? op.dropFirst() : op
            guard let kind = rest.first, kind == "-" || kind == "+" else {
                throw BerthError.invalid("unsupported modifier (\(op.prefix(2))) in substitution")
            }
            let word = try expand(String(rest.dropFirst()), env)
            let set = colon ? !(value ?? "").isEmpty : value != nil
            if kind == "-" { return (set ? value! : word, used) }
            return (set ? word : "", used)
        }
        var j = i
        while j < c.count && (c[j].isLetter || c[j].isNumber || c[j] == "_") { j += 1 }
        if j == i { return ("", 0) }
        return (env[String(c[i..<j])] ?? "", j - i)
    }

    /// `K=V K2="v 2"`, or the legacy `K V…` form, expanded (ENV, LABEL, ARG).
    public func keyValues(_ s: String, _ env: [String: String], instruction: String) throws -> [(String, String)] {
        let raw = try words(s)
        guard let first = raw.first else { throw BerthError.invalid("\(instruction) requires at least one argument") }
        if !first.contains("=") {
            guard raw.count > 1 else { throw BerthError.invalid("\(instruction) requires at least one argument: \(instruction) names can not be blank") }
            let value = s.drop { !$0.isWhitespace }.trimmingCharacters(in: .whitespaces)
            return [(try expand(first, env), try expand(value, env))]
        }
        return try raw.map { w in
            let e = try expand(w, env)
            guard let eq = e.firstIndex(of: "="), eq != e.startIndex else {
                throw BerthError.invalid("\(instruction) names can not be blank: \(w)")
            }
            return (String(e[..<eq]), String(e[e.index(after: eq)...]))
        }
    }
}

import BerthCore
import Foundation

/// Compose's variable interpolation in values: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or
/// empty), `${VAR-default}` (unset), `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`,
/// `${VAR+alt}`, and `$$` for a literal `$`. Defaults may themselves hold variables.
public enum Interpolation {
    public static func apply(_ text: String, _ env: [String: String], at place: String) throws -> String {
        guard text.contains("$") else { return text }
        let chars = Array(text)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let n = chars[i + 1]
            if n == "$" { out.append("$"); i += 2; continue }
            if n == "{" {
                // The matching brace, nested ones counted (defaults can hold ${…}).
                var depth = 0, j = i + 1
                while j < chars.count {
                    if chars[j] == "{" { depth += 1 } else if chars[j] == "}" { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                guard j < chars.count else { throw BerthError.invalid("\(place): invalid interpolation format for \"\(text)\": no closing brace") }
                out += try braced(String(chars[(i + 2)..<j]), env, text: text, place: place)
                i = j + 1
                continue
            }
            if n == "_" || n.isLetter {
                var j = i + 1
                while j < chars.count, chars[j] == "_" || chars[j].isLetter || chars[j].isNumber { j += 1 }
                out += env[String(chars[(i + 1)..<j])] ?? ""
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    static func braced(_ inner: String, _ env: [String: String], text: String, place: String) throws -> String {
        let name = String(inner.prefix { $0 == "_" || $0.isLetter || $0.isNumber })
        guard !name.isEmpty, name.first.map({ !$0.isNumber }) == true else {
            throw BerthError.invalid("\(place): invalid interpolation format for \"\(text)\": \"${\(inner)}\"")
        }
        let rest = inner.dropFirst(name.count)
        let value = env[name]
        if rest.isEmpty { return value ?? "" }
        for op in [":-", ":?", ":+", "-", "?", "+"] where rest.hasPrefix(op) {
            let arg = try apply(String(rest.dropFirst(op.count)), env, at: place)
            let unsetOrEmpty = value == nil || value!.isEmpty
            switch op {
            case ":-": return unsetOrEmpty ? arg : value!
            case "-": return value ?? arg
            case ":+": return unsetOrEmpty ? "" : arg
            case "+": return value == nil ? "" : arg
            case ":?":
                if unsetOrEmpty { throw BerthError.invalid("\(place): required variable \(name) is missing a value: \(arg)") }
                return value!
            default:
                if value == nil { throw BerthError.invalid("\(place): required variable \(name) is missing a value: \(arg)") }
                return value!
            }
        }
        throw BerthError.invalid("\(place): invalid interpolation format for \"\(text)\": \"${\(inner)}\"")
    }

    /// Every string value of the tree interpolated (keys are left as written, as Compose does).
    public static func apply(_ v: YamlValue, _ env: [String: String]) throws -> YamlValue {
        switch v {
        case .string(let s, let p): return .string(try apply(s, env, at: p.description), p)
        case .null: return v
        case .list(let l, let p): return .list(try l.map { try apply($0, env) }, p)
        case .map(let m, let p): return .map(try m.map { ($0.key, try apply($0.value, env)) }, p)
        }
    }

    /// A `.env` file: `KEY=VALUE` lines, `#` comments, `export ` prefixes, quoted values.
    public static func parseEnvFile(_ text: String, file: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let eq = line.firstIndex(of: "=") else {
                throw BerthError.invalid("\(file):\(n + 1): expected KEY=VALUE, got \"\(line)\"")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !key.contains(" ") else { throw BerthError.invalid("\(file):\(n + 1): invalid variable name \"\(key)\"") }
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = String(value.dropFirst().dropLast())
                if q == "\"" { value = value.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"") }
            } else if let hash = value.range(of: " #") {
                value = String(value[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces)
            }
            out.append((key, value))
        }
        return out
    }
}

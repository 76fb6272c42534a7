import BerthCore
import Foundation

/// Applies Dockerfile-style `--change` instructions (`CMD ["sh"]`, `ENV A=b`, …) to an image
/// config, as `docker import --change` does.
public enum ConfigChanges {
    public static let supported = [
        "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD",
        "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ]

    public static func apply(_ changes: [String], to config: inout ContainerConfig) throws {
        for change in changes {
            let trimmed = change.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let keyword = String(trimmed.prefix { !$0.isWhitespace }).uppercased()
            let rest = String(trimmed.dropFirst(keyword.count)).trimmingCharacters(in: .whitespaces)
            switch keyword {
            case "CMD":
                config.Cmd = try commandForm(rest)
            case "ENTRYPOINT":
                config.Entrypoint = try commandForm(rest)
            case "ENV":
                for (k, v) in try keyValues(rest, instruction: "ENV") {
                    var env = (config.Env ?? []).filter { !$0.hasPrefix(k + "=") }
                    env.append(k + "=" + v)
                    config.Env = env
                }
            case "LABEL":
                for (k, v) in try keyValues(rest, instruction: "LABEL") {
                    config.Labels = (config.Labels ?? [:]).merging([k: v]) { _, n in n }
                }
            case "EXPOSE":
                for p in rest.split(whereSeparator: \.isWhitespace) {
                    let port = p.contains("/") ? String(p) : p + "/tcp"
                    let parts = port.split(separator: "/")
                    guard parts.count == 2, Int(parts[0]).map({ $0 > 0 && $0 < 65536 }) == true,
                        ["tcp", "udp", "sctp"].contains(parts[1].lowercased())
                    else {
                        throw BerthError.invalid("invalid EXPOSE port \"\(p)\"")
                    }
                    config.ExposedPorts = (config.ExposedPorts ?? [:]).merging([port.lowercased(): EmptyObject()]) { a, _ in a }
                }
            case "VOLUME":
                let vols = rest.hasPrefix("[") ? try jsonArray(rest) : rest.split(whereSeparator: \.isWhitespace).map(String.init)
                for v in vols {
                    guard v.hasPrefix("/") else { throw BerthError.invalid("invalid VOLUME \"\(v)\": the path must be absolute") }
                    config.Volumes = (config.Volumes ?? [:]).merging([v: EmptyObject()]) { a, _ in a }
                }
            case "WORKDIR":
                guard !rest.isEmpty else { throw BerthError.invalid("WORKDIR needs a path") }
                config.WorkingDir = rest
            case "USER":
                guard !rest.isEmpty else { throw BerthError.invalid("USER needs a user") }
                config.User = rest
            case "STOPSIGNAL":
                guard !rest.isEmpty else { throw BerthError.invalid("STOPSIGNAL needs a signal") }
                config.StopSignal = rest
            case "ONBUILD":
                config.OnBuild = (config.OnBuild ?? []) + [rest]
            default:
                throw BerthError.invalid("\(keyword) is not a valid change command (valid: \(supported.joined(separator: ", ")))")
            }
        }
    }

    /// JSON exec form, or shell form run by `/bin/sh -c`.
    static func commandForm(_ s: String) throws -> [String] {
        if s.hasPrefix("["), let arr = try? jsonArray(s) { return arr }
        guard !s.isEmpty else { throw BerthError.invalid("an empty command is not valid") }
        return ["/bin/sh", "-c", s]
    }

    static func jsonArray(_ s: String) throws -> [String] {
        guard let arr = try? JSONDecoder().decode([String].self, from: Data(s.utf8)) else {
            throw BerthError.invalid("invalid JSON array: \(s)")
        }
        return arr
    }

    /// `K=V K2="v 2"` or the legacy `K V` form.
    static func keyValues(_ s: String, instruction: String) throws -> [(String, String)] {
        guard !s.isEmpty else { throw BerthError.invalid("\(instruction) needs at least one argument") }
        let words = try shellWords(s)
        if let first = words.first, !first.contains("=") {
            // Legacy form: the first word is the key, the rest of the line the value.
            let value = s.dropFirst(first.count).trimmingCharacters(in: .whitespaces)
            return [(first, value)]
        }
        return try words.map { w in
            guard let eq = w.firstIndex(of: "="), eq != w.startIndex else {
                throw BerthError.invalid("\(instruction) names must be followed by '=': \(w)")
            }
            return (String(w[..<eq]), String(w[w.index(after: eq)...]))
        }
    }

    /// Splits on blanks, honouring double and single quotes and backslashes.
    static func shellWords(_ s: String) throws -> [String] {
        var out: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for c in s {
            if escape { cur.append(c); escape = false; continue }
            if c == "\\" && quote != "'" { escape = true; inWord = true; continue }
            if let q = quote {
                if c == q { quote = nil } else { cur.append(c) }
                continue
            }
            if c == "\"" || c == "'" { quote = c; inWord = true; continue }
            if c.isWhitespace {
                if inWord { out.append(cur); cur = ""; inWord = false }
                continue
            }
            cur.append(c)
            inWord = true
        }
        if quote != nil { throw BerthError.invalid("unterminated quote in: \(s)") }
        if inWord { out.append(cur) }
        return out
    }
}

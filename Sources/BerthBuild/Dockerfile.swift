import BerthCore
import Foundation

/// One Dockerfile instruction, continuation lines joined, leading `--flags` taken apart.
public struct Instruction: Sendable, Equatable {
    /// Upper-cased: `RUN`, `COPY`, …
    public var keyword: String
    /// The arguments after the keyword and its flags, as written (not yet expanded).
    public var args: String
    /// `--from=build` → `["from": "build"]`; a flag given twice keeps the last.
    public var flags: [String: String]
    /// The exec (JSON array) form, when the arguments are one.
    public var json: [String]?
    /// A RUN heredoc's body (`RUN <<EOF … EOF`), run as a script.
    public var heredoc: String?
    /// 1-based line of the keyword.
    public var line: Int

    /// The step as the classic builder prints it: `RUN echo hi`.
    public var text: String {
        var parts = [keyword]
        parts += flags.sorted { $0.key < $1.key }.map { "--\($0.key)=\($0.value)" }
        if !args.isEmpty { parts.append(args) }
        return parts.joined(separator: " ")
    }
}

/// A parsed Dockerfile: its parser directives, the ARGs before the first FROM, its stages.
public struct Dockerfile: Sendable {
    public struct Stage: Sendable {
        /// `FROM image AS name`'s name, lower-cased.
        public var name: String?
        public var index: Int
        public var from: Instruction
        public var instructions: [Instruction]
    }

    public var escape: Character
    public var metaArgs: [Instruction]
    public var stages: [Stage]

    /// Every instruction, FROMs included: the classic builder's step count.
    public var stepCount: Int { metaArgs.count + stages.reduce(0) { $0 + 1 + $1.instructions.count } }

    public static let keywords: Set<String> = [
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
        "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    ]

    /// Parses `text`; errors name the line, as Docker's do.
    public static func parse(_ text: String) throws -> Dockerfile {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var escape: Character = "\\"
        var i = 0
        // Parser directives: `# key=value` lines at the very top.
        var seen: Set<String> = []
        while i < lines.count {
            let t = lines[i].trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("#"), let eq = t.firstIndex(of: "=") else { break }
            let key = t.dropFirst()[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            guard !key.isEmpty, !key.contains(" ") else { break }
            let value = t[t.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !seen.contains(key) else { throw BerthError.invalid("dockerfile parse error line \(i + 1): only one \(key) parser directive can be used") }
            seen.insert(key)
            if key == "escape" {
                guard value == "\\" || value == "`" else {
                    throw BerthError.invalid("dockerfile parse error line \(i + 1): invalid escape token '\(value)' does not match ` or \\")
                }
                escape = value.first!
            }
            i += 1
        }
        var instructions: [Instruction] = []
        while i < lines.count {
            let start = i
            var t = lines[i].trimmingCharacters(in: .whitespaces)
            i += 1
            if t.isEmpty || t.hasPrefix("#") { continue }
            // Continuations: a line ending in the escape character goes on; comment and empty
            // lines inside are skipped.
            var joined = ""
            while t.hasSuffix(String(escape)) {
                joined += String(t.dropLast())
                var next: String?
                while i < lines.count {
                    let n = lines[i].trimmingCharacters(in: .whitespaces)
                    i += 1
                    if n.isEmpty || n.hasPrefix("#") { continue }
                    next = n
                    break
                }
                guard let n = next else { t = ""; break }
                t = n
            }
            joined += t
            var ins = try instruction(joined, line: start + 1)
            if let (name, strip) = heredocStart(ins), ins.keyword == "RUN" {
                var body: [String] = []
                var closed = false
                while i < lines.count {
                    let l = lines[i]
                    i += 1
                    if l.trimmingCharacters(in: .whitespaces) == name { closed = true; break }
                    body.append(strip ? String(l.drop { $0 == "\t" }) : l)
                }
                guard closed else { throw BerthError.invalid("dockerfile parse error line \(start + 1): unterminated heredoc \(name)") }
                ins.heredoc = body.joined(separator: "\n") + "\n"
            }
            instructions.append(ins)
        }
        return try stages(instructions, escape: escape)
    }

    /// `<<EOF`, `<<-EOF`, `<<"EOF"`: the delimiter and whether leading tabs are stripped.
    static func heredocStart(_ ins: Instruction) -> (String, Bool)? {
        guard ins.json == nil, ins.args.hasPrefix("<<") else { return nil }
        var rest = ins.args.dropFirst(2)
        let strip = rest.hasPrefix("-")
        if strip { rest = rest.dropFirst() }
        let name = rest.prefix { !$0.isWhitespace }.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        return name.isEmpty ? nil : (name, strip)
    }

    static func instruction(_ line: String, line n: Int) throws -> Instruction {
        let keyword = String(line.prefix { !$0.isWhitespace }).uppercased()
        guard keywords.contains(keyword) else {
            throw BerthError.invalid("dockerfile parse error line \(n): unknown instruction: \(keyword)")
        }
        var rest = Substring(line.dropFirst(keyword.count)).drop { $0.isWhitespace }
        var flags: [String: String] = [:]
        if ["FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"].contains(keyword) {
            while rest.hasPrefix("--") {
                let word = rest.prefix { !$0.isWhitespace }
                let body = word.dropFirst(2)
                guard let eq = body.firstIndex(of: "=") else {
                    // `--link`, `--parents` style booleans.
                    flags[String(body)] = "true"
                    rest = rest.dropFirst(word.count).drop { $0.isWhitespace }
                    continue
                }
                flags[String(body[..<eq])] = String(body[body.index(after: eq)...])
                rest = rest.dropFirst(word.count).drop { $0.isWhitespace }
            }
        }
        let args = String(rest).trimmingCharacters(in: .whitespaces)
        var json: [String]?
        if args.hasPrefix("["), let arr = try? JSONDecoder().decode([String].self, from: Data(args.utf8)) { json = arr }
        return Instruction(keyword: keyword, args: args, flags: flags, json: json, heredoc: nil, line: n)
    }

    static func stages(_ all: [Instruction], escape: Character) throws -> Dockerfile {
        var meta: [Instruction] = []
        var stages: [Stage] = []
        for ins in all {
            if ins.keyword == "FROM" {
                let words = ins.args.split(whereSeparator: \.isWhitespace).map(String.init)
                var name: String?
                if words.count == 3, words[1].uppercased() == "AS" {
                    name = words[2].lowercased()
                    guard name!.range(of: "^[a-z][a-z0-9_.-]*$", options: .regularExpression) != nil else {
                        throw BerthError.invalid(
                            "dockerfile parse error line \(ins.line): invalid name for build stage: \"\(words[2])\", name can't start with a number or contain symbols"
                        )
                    }
                    if stages.contains(where: { $0.name == name }) {
                        throw BerthError.invalid("dockerfile parse error line \(ins.line): duplicate name \(words[2])")
                    }
                } else if words.count != 1 {
                    throw BerthError.invalid("dockerfile parse error line \(ins.line): FROM requires either one or three arguments")
                }
                stages.append(Stage(name: name, index: stages.count, from: ins, instructions: []))
            } else if stages.isEmpty {
                guard ins.keyword == "ARG" else {
                    throw BerthError.invalid("dockerfile parse error line \(ins.line): \(ins.keyword) before FROM: no build stage in current context")
                }
                meta.append(ins)
            } else {
                stages[stages.count - 1].instructions.append(ins)
            }
        }
        guard !stages.isEmpty else { throw BerthError.invalid("the Dockerfile (Dockerfile) cannot be empty") }
        return Dockerfile(escape: escape, metaArgs: meta, stages: stages)
    }
}

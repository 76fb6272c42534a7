import ArgumentParser
import Foundation

/// `berth COMMAND --help` in the docker CLI's shape (Usage, description, Aliases, Options,
/// Commands), rendered from the argument parser's own description of the command tree (its
/// `--experimental-dump-help` JSON), so help can never disagree with what parses.
enum DockerHelp {
    struct Command: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var aliases: [String]?
        var shouldDisplay: Bool?
        var arguments: [Argument]?
        var subcommands: [Command]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }
        var kind: String
        var names: [Name]?
        var valueName: String?
        var abstract: String?
        var defaultValue: String?
        var isOptional: Bool?
        var isRepeating: Bool?
        var shouldDisplay: Bool?
    }

    struct Dump: Decodable { var command: Command }

    /// Options every command takes (hoisted before the command as Docker's global options).
    static let globalNames: Set<String> = ["root", "runroot", "host"]

    /// Docker's wording of positionals our parser names differently.
    static let usageTails: [String: String] = [
        "image-and-command": "IMAGE [COMMAND] [ARG...]", "args": "CONTAINER COMMAND [ARG...]", "ps-args": "[ps OPTIONS]",
        "subcommands": "[COMMAND]",
    ]

    /// The whole command tree, as the argument parser describes it.
    static func tree() -> Command? {
        do {
            _ = try Berth.parseAsRoot(["--experimental-dump-help"])
        } catch {
            let json = Berth.fullMessage(for: error)
            return (try? JSONDecoder().decode(Dump.self, from: Data(json.utf8)))?.command
        }
        return nil
    }

    /// The command path a help request names (`ps --help`, `network ls -h`, `help network ls`),
    /// or nil when `args` asks for no help.
    static func requestedPath(_ args: [String], root: Command) -> [String]? {
        var words = args
        let viaHelp = words.first == "help"
        if viaHelp { words.removeFirst() }
        guard viaHelp || words.contains("--help") || words.contains("-h") else { return nil }
        var path: [String] = []
        var at = root
        for w in words {
            guard !w.hasPrefix("-"), let next = at.subcommands?.first(where: { $0.commandName == w || ($0.aliases ?? []).contains(w) })
            else { break }
            path.append(next.commandName)
            at = next
        }
        return path
    }

    /// The command at `path` (names, not aliases).
    static func find(_ path: [String], in root: Command) -> Command? {
        var at = root
        for name in path {
            guard let next = at.subcommands?.first(where: { $0.commandName == name }) else { return nil }
            at = next
        }
        return at
    }

    /// Docker's help text for the command at `path`.
    static func render(path: [String], root: Command) -> String? {
        guard let cmd = find(path, in: root) else { return nil }
        let full = (["berth"] + path).joined(separator: " ")
        let args = (cmd.arguments ?? []).filter { $0.shouldDisplay != false }
        let options = args.filter { $0.kind != "positional" && !isGlobal($0) && name($0) != "help" }
        let subs = (cmd.subcommands ?? []).filter { $0.shouldDisplay != false && $0.commandName != "help" }
        var usage = "Usage:  " + full
        if path.isEmpty {
            usage += " [OPTIONS] COMMAND"
        } else if !subs.isEmpty {
            usage += " COMMAND"
        } else {
            if !options.isEmpty { usage += " [OPTIONS]" }
            for p in args where p.kind == "positional" { usage += " " + positional(p) }
        }
        var out = usage + "\n\n" + sentence(cmd.abstract ?? "") + "\n"
        if let d = cmd.discussion, !d.isEmpty { out += "\n" + d + "\n" }
        if let aliases = cmd.aliases, !aliases.isEmpty {
            let parent = (["berth"] + path.dropLast()).joined(separator: " ")
            out += "\nAliases:\n  " + ([full] + aliases.map { parent + " " + $0 }).joined(separator: ", ") + "\n"
        }
        if !subs.isEmpty {
            let groups = path.isEmpty ? subs.filter { !($0.subcommands ?? []).isEmpty } : []
            let plain = subs.filter { c in !groups.contains { $0.commandName == c.commandName } }
            if !groups.isEmpty { out += "\nManagement Commands:\n" + table(groups.map { ($0.commandName, sentence($0.abstract ?? "")) }) }
            out += "\nCommands:\n" + table(plain.map { ($0.commandName, sentence($0.abstract ?? "")) })
        }
        if !options.isEmpty { out += "\nOptions:\n" + table(options.map(optionRow)) }
        if path.isEmpty, let globals = subs.lazy.compactMap({ $0.arguments?.filter(isGlobal) }).first(where: { !$0.isEmpty }) {
            out += "\nGlobal Options:\n" + table(globals.map(optionRow))
        }
        if !subs.isEmpty { out += "\nRun '\(full) COMMAND --help' for more information on a command.\n" }
        return out
    }

    static func name(_ a: Argument) -> String {
        a.names?.first { $0.kind == "long" }?.name ?? a.names?.first?.name ?? a.valueName ?? ""
    }

    static func isGlobal(_ a: Argument) -> Bool { a.kind != "positional" && globalNames.contains(name(a)) }

    /// `CONTAINER [CONTAINER...]`, `[REPOSITORY]`, `NAME`.
    static func positional(_ a: Argument) -> String {
        let value = a.valueName ?? "arg"
        if let tail = usageTails[value] { return tail }
        if a.isRepeating == true {
            let one = (value.hasSuffix("s") ? String(value.dropLast()) : value).uppercased().replacingOccurrences(of: "-", with: "_")
            return "\(one) [\(one)...]"
        }
        let upper = value.uppercased().replacingOccurrences(of: "-", with: "_")
        return a.isOptional == true ? "[\(upper)]" : upper
    }

    /// `-a, --all`, `    --format string`, `-e, --env list` and the text with its default.
    static func optionRow(_ a: Argument) -> (String, String) {
        let short = a.names?.first { $0.kind == "short" }.map { "-" + $0.name + ", " } ?? "    "
        let long = a.names?.first { $0.kind != "short" }.map { "--" + $0.name } ?? ""
        var col = short + long
        if a.kind == "option" { col += a.isRepeating == true ? " list" : " string" }
        var text = sentence(a.abstract ?? "")
        if let d = a.defaultValue, !d.isEmpty, d != "false", a.kind == "option" { text += " (default \(d))" }
        return (col, text)
    }

    /// Docker's descriptions end without a full stop.
    static func sentence(_ s: String) -> String {
        s.hasSuffix(".") && !s.hasSuffix("..") ? String(s.dropLast()) : s
    }

    static func table(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "   " + $0.1 }.joined(separator: "\n") + "\n"
    }
}

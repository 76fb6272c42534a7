import ArgumentParser
import BerthCore
import Foundation

@main
struct Berth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A container host for Linux: Docker's commands, history you can query, recovery you can trust.",
        subcommands: [
            Run.self, Create.self, Start.self, Stop.self, Restart.self, Kill.self, Pause.self, Unpause.self, Rename.self, Rm.self, Wait.self, Logs.self,
            Ps.self,
            Exec.self, Attach.self, Top.self, Stats.self, Port.self, Cp.self, Update.self, EventsCommand.self, ContainerGroup.self, SystemGroup.self, SQL.self,
            Commit.self, Diff.self, Export.self,
            Images.self, History.self, Build.self, Pull.self, Push.self, Login.self, Logout.self, Load.self, Import.self, Tag.self, Rmi.self, Save.self,
            Inspect.self,
            ImageGroup.self, VolumeGroup.self, NetworkGroup.self, BuilderGroup.self, Version.self, Info.self, CompletionCommand.self,
            ComposeGroup.self, KubeGroup.self,
        ])

    /// `berth -H unix://… images`: options given before the command (Docker's habit) become the
    /// environment the commands read, since each command parses only its own.
    static func hoistGlobalOptions(_ args: [String]) -> [String] {
        let names = ["--root": "BERTH_ROOT", "--runroot": "BERTH_RUNROOT", "-H": "BERTH_HOST", "--host": "BERTH_HOST"]
        var rest = args[...]
        while let first = rest.first, first.hasPrefix("-") {
            if let eq = first.firstIndex(of: "="), let env = names[String(first[..<eq])] {
                setenv(env, String(first[first.index(after: eq)...]), 1)
                rest = rest.dropFirst()
            } else if let env = names[first], rest.count >= 2 {
                setenv(env, rest[rest.index(after: rest.startIndex)], 1)
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        return Array(rest)
    }

    /// The top-level command names and aliases.
    static var commandNames: Set<String> {
        var out: Set<String> = ["help"]
        for c in configuration.subcommands {
            out.insert(c._commandName)
            out.formUnion(c.configuration.aliases)
        }
        return out
    }

    /// `berth: 'pul' is not a berth command.` with the nearest commands, as git and docker word it.
    static func unknownCommand(_ name: String) -> String {
        let near = CommandSuggestions.nearest(name, among: commandNames.subtracting(["help"]))
        var msg = "berth: '\(name)' is not a berth command."
        if !near.isEmpty {
            msg += "\n\nThe most similar command\(near.count == 1 ? " is" : "s are"):\n" + near.map { "\t" + $0 }.joined(separator: "\n")
        }
        return msg + "\nSee 'berth --help'"
    }

    /// The argument parser's `Unknown option '--x'` as the docker CLI words it:
    /// `unknown flag: --x` and where to look, keeping the parser's suggestion.
    static func dockerWording(_ message: String) -> String {
        guard let r = message.range(of: "Unknown option '") else { return message }
        let flag = message[r.upperBound...].prefix { $0 != "'" }
        let rest = message[r.upperBound...].dropFirst(flag.count + 1)
        let hint = rest.hasPrefix(". Did you mean") ? " (" + rest.dropFirst(2).prefix { $0 != "\n" }.trimmingCharacters(in: .whitespaces) + ")" : ""
        let see = message.range(of: "See '").map { "\nSee '" + message[$0.upperBound...].prefix { $0 != "'" } + "'." } ?? ""
        return "unknown flag: \(flag)\(hint)" + see
    }

    /// Docker's exit codes: usage errors 125, failures 1.
    static func main() async {
        let args = ComposeGroup.hoist(hoistGlobalOptions(Array(CommandLine.arguments.dropFirst())))
        do {
            // Hot queries parse only their own options: walking the whole command tree costs
            // milliseconds of Swift protocol-conformance lookups. Any problem falls back to the
            // full parser, which words errors and help as usual.
            let fastPaths: [String: any ParsableCommand.Type] = ["images": Images.self, "ps": Ps.self]
            // Only the command itself: `--help` parses as a help command, which the full parser words.
            if let name = args.first, let type = fastPaths[name], var fast = try? type.parseAsRoot(Array(args.dropFirst())),
                Swift.type(of: fast) == type
            {
                try fast.run()
                return
            }
            // run/create/exec take everything after the image as the container's command, so
            // their own parsers never see a help request: `--help` among the leading flags is one.
            if let name = args.first, ["run", "create", "exec", "container"].contains(name),
                let flag = args.dropFirst().first(where: { !["run", "create", "exec"].contains($0) }), flag == "--help"
            {
                throw CleanExit.helpRequest()
            }
            if let name = args.first, !name.hasPrefix("-"), !commandNames.contains(name) {
                throw CLIError(message: unknownCommand(name), code: 1)
            }
            var command = try parseAsRoot(args)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let e as CLIError {
            Out.err(e.message)
            Glibc.exit(e.code)
        } catch let e as BerthError {
            Out.err(e.code == .unavailable ? e.message : "Error: " + e.message)
            Glibc.exit(1)
        } catch {
            let code = exitCode(for: error)
            if error is CleanExit || code == .success, let tree = DockerHelp.tree(), let path = args.isEmpty ? [] : DockerHelp.requestedPath(args, root: tree),
                let text = DockerHelp.render(path: path, root: tree)
            {
                Out.print(String(text.dropLast()))
                Glibc.exit(0)
            }
            if code == .success || error is CleanExit {
                exit(withError: error)
            }
            if code == .validationFailure {
                Out.err(dockerWording(fullMessage(for: error)))
                Glibc.exit(125)
            }
            exit(withError: error)
        }
    }
}

import ArgumentParser
import BerthCompose
import BerthCore
import Foundation

/// `berth compose`: Compose files run natively through berthd (no docker-compose needed).
struct ComposeGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose", abstract: "Define and run multi-container applications (Compose files).",
        subcommands: [
            ComposeUp.self, ComposeDown.self, ComposePs.self, ComposeLogs.self, ComposeConfig.self, ComposeLs.self,
            ComposeStart.self, ComposeStop.self, ComposeRestart.self, ComposeKill.self, ComposeRm.self, ComposePause.self,
            ComposeUnpause.self, ComposeExec.self, ComposePull.self, ComposePort.self, ComposeImages.self, ComposeTop.self, ComposeRun.self, ComposeBuild.self,
        ])

    /// Compose's options come before the subcommand (`compose -f a.yaml -p x up`); each
    /// subcommand parses its own, so they move behind its name.
    static func hoist(_ args: [String]) -> [String] {
        guard args.first == "compose" else { return args }
        let withValue: Set<String> = ["-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile"]
        var moved: [String] = []
        var i = 1
        while i < args.count, args[i].hasPrefix("-") {
            let name = String(args[i].split(separator: "=", maxSplits: 1)[0])
            guard withValue.contains(name) else { break }
            // -f and -p are spelled out: after the subcommand name, -f is `logs -f`, -p `run -p`.
            let long = ["-f": "--file", "-p": "--project-name"][name] ?? name
            moved.append(long + (args[i].contains("=") ? String(args[i].drop { $0 != "=" }) : ""))
            if !args[i].contains("="), i + 1 < args.count { moved.append(args[i + 1]); i += 1 }
            i += 1
        }
        guard i < args.count, !moved.isEmpty else { return args }
        return ["compose", args[i]] + moved + Array(args[(i + 1)...])
    }
}

/// The options every compose subcommand takes.
struct ComposeOptionsGroup: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    /// `-f` before the subcommand (hoisted as `--file`); after it, `-f` is the subcommand's
    /// own (`logs -f` follows).
    @Option(name: .customLong("file"), help: "Compose configuration files (-f before the subcommand).") var file: [String] = []
    /// `-p` before the subcommand (hoisted as `--project-name`); after it, `-p` is `run -p`.
    @Option(name: .customLong("project-name"), help: "Project name (-p before the subcommand).") var projectName: String?
    @Option(name: .customLong("project-directory"), help: "Alternate working directory.") var projectDirectory: String?
    @Option(name: .customLong("env-file"), help: "Alternate environment files.") var envFile: [String] = []
    @Option(name: .customLong("profile"), help: "Profiles to enable.") var profile: [String] = []

    /// The project, its warnings on stderr; errors name file, line and key.
    func project() throws -> ComposeProject {
        var o = ComposeOptions()
        o.files = file
        o.projectName = projectName
        o.projectDirectory = projectDirectory
        o.envFiles = envFile
        o.profiles = profile
        do {
            let p = try ComposeLoader.load(o)
            for w in p.warnings { Out.err("WARN[0000] " + w) }
            return p
        } catch let e as BerthError {
            throw CLIError(message: e.message, code: e.code == .notFound ? 14 : 15)
        }
    }

    /// The project's name without reading files when `-p` says it (down, ps, logs of a
    /// project whose files are gone).
    func projectName(orLoad: Bool = true) throws -> String {
        if let projectName { return ComposeLoader.normalize(projectName) }
        return try project().name
    }
}

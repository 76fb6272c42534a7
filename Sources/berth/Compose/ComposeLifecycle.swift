import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import Foundation

/// One lifecycle call on each of the project's containers (of the services named, or all).
protocol ComposeEach: AsyncParsableCommand {
    var opts: ComposeOptionsGroup { get }
    var services: [String] { get }
    /// (API path suffix, query, past tense for the progress line); nil skips the container.
    func call(_ m: ComposeEngine.Member) -> (String, [(String, String)], String)?
}

extension ComposeEach {
    func run() async throws {
        let engine = ComposeEngine(client: try opts.global.client(), project: try opts.projectName())
        for m in try await engine.members() where services.isEmpty || services.contains(m.service) {
            guard let (suffix, query, done) = call(m) else { continue }
            _ = try await engine.client.send(.POST, engine.client.path("/containers", m.id, suffix), query: query)
            Out.err(" Container \(m.name)  \(done)")
        }
    }
}

struct ComposeStart: ComposeEach {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start services.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Argument(help: "SERVICE…") var services: [String] = []
    func call(_ m: ComposeEngine.Member) -> (String, [(String, String)], String)? { m.state == "running" ? nil : ("/start", [], "Started") }
}

struct ComposeStop: ComposeEach {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop services.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Option(name: .shortAndLong, help: "Specify a shutdown timeout in seconds.") var timeout: Int?
    @Argument(help: "SERVICE…") var services: [String] = []
    func call(_ m: ComposeEngine.Member) -> (String, [(String, String)], String)? {
        m.state == "running" || m.state == "paused" ? ("/stop", timeout.map { [("t", String($0))] } ?? [], "Stopped") : nil
    }
}

struct ComposeRestart: ComposeEach {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart service containers.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Option(name: .shortAndLong, help: "Specify a shutdown timeout in seconds.") var timeout: Int?
    @Argument(help: "SERVICE…") var services: [String] = []
    func call(_ m: ComposeEngine.Member) -> (String, [(String, String)], String)? { ("/restart", timeout.map { [("t", String($0))] } ?? [], "Restarted") }
}

struct ComposeKill: ComposeEach {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Force stop service containers.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Option(name: .shortAndLong, help: "SIGNAL to send to the container.") var signal = "SIGKILL"
    @Argument(help: "SERVICE…") var services: [String] = []
    func call(_ m: ComposeEngine.Member) -> (String, [(String, String)], String)? { m.state == "running" ? ("/kill", [("signal", signal)], "Killed") : nil }
}

struct ComposePause: ComposeEach {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause services.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Argument(help: "SERVICE…") var services: [String] = []
    func call(_ m: ComposeEngine.Member) -> (String, [(String, String)], String)? { m.state == "running" ? ("/pause", [], "Paused") : nil }
}

struct ComposeUnpause: ComposeEach {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause services.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Argument(help: "SERVICE…") var services: [String] = []
    func call(_ m: ComposeEngine.Member) -> (String, [(String, String)], String)? { m.state == "paused" ? ("/unpause", [], "Unpaused") : nil }
}

/// `compose rm`: stopped service containers (`-s` stops them first).
struct ComposeRm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Removes stopped service containers.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Don't ask to confirm removal.") var force = false
    @Flag(name: .shortAndLong, help: "Stop the containers, if required, before removing.") var stop = false
    @Flag(name: .shortAndLong, help: "Remove any anonymous volumes attached to containers.") var volumes = false
    @Argument(help: "SERVICE…") var services: [String] = []

    func run() async throws {
        let engine = ComposeEngine(client: try opts.global.client(), project: try opts.projectName())
        for m in try await engine.members() where services.isEmpty || services.contains(m.service) {
            if m.state == "running" || m.state == "paused" {
                guard stop else { continue }
                try await engine.stop(m)
            }
            try await engine.remove(m, volumes: volumes)
        }
    }
}

/// `compose exec SERVICE CMD`: `berth exec` on the service's first (or `--index`) container.
struct ComposeExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Execute a command in a running container.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Detached mode.") var detach = false
    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation.") var noTTY = false
    @Option(name: .shortAndLong, help: "Set environment variables.") var env: [String] = []
    @Option(name: .shortAndLong, help: "Run the command as this user.") var user: String?
    @Option(name: [.customShort("w"), .long], help: "Working directory.") var workdir: String?
    @Option(name: .long, help: "Index of the container if the service has several replicas.") var index = 1
    @Argument(parsing: .captureForPassthrough, help: "SERVICE COMMAND [ARG...]") var args: [String] = []

    func run() async throws {
        guard args.count >= 2 else { throw CLIError(message: "compose exec requires a SERVICE and a COMMAND", code: 1) }
        let engine = ComposeEngine(client: try opts.global.client(), project: try opts.projectName())
        guard let m = try await engine.members(service: args[0]).first(where: { $0.number == index && !$0.oneoff }) else {
            throw CLIError(message: "service \"\(args[0])\" is not running", code: 1)
        }
        var a: [String] = []
        if detach { a.append("-d") }
        if !noTTY && isatty(0) == 1 && isatty(1) == 1 { a += ["-i", "-t"] } else if !detach { a.append("-i") }
        for e in env { a += ["-e", e] }
        if let user { a += ["-u", user] }
        if let workdir { a += ["-w", workdir] }
        var exec = try Exec.parse(a + [m.id] + args.dropFirst())
        exec.global = opts.global
        try await exec.run()
    }
}

/// `compose pull`: the services' images.
struct ComposePull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull service images.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Argument(help: "SERVICE…") var services: [String] = []

    func run() async throws {
        let p = try opts.project()
        let engine = ComposeEngine(client: try opts.global.client(), project: p.name)
        for s in p.services where (services.isEmpty || services.contains(s.name)) && s.image != nil {
            try await engine.ensureImage(s.image!, always: true)
        }
    }
}

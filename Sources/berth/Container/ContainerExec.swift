import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// `berth exec`.
struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Execute a command in a running container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Detached mode: run command in the background.") var detach = false
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached.") var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY.") var tty = false
    @Option(name: .shortAndLong, help: "Set environment variables.") var env: [String] = []
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Option(name: .shortAndLong, help: "Username or UID (format: <name|uid>[:<group|gid>]).") var user: String?
    @Flag(name: .long, help: "Give extended privileges to the command.") var privileged = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching.") var detachKeys: String?
    @Argument(parsing: .captureForPassthrough, help: "CONTAINER COMMAND [ARG...]") var args: [String] = []

    func run() async throws {
        guard args.count >= 2 else {
            throw CLIError(message: "\"berth exec\" requires at least 2 arguments.\nSee 'berth exec --help'.", code: 125)
        }
        let client = try global.client()
        let keys = try Run.detachKeys(detachKeys)
        var cfg = ExecConfig()
        cfg.Cmd = Array(args.dropFirst())
        cfg.Env =
            env.isEmpty
            ? nil
            : env.map { e in
                e.contains("=") ? e : e + "=" + (ProcessInfo.processInfo.environment[e] ?? "")
            }
        cfg.WorkingDir = workdir
        cfg.User = user
        cfg.Privileged = privileged
        cfg.Tty = tty
        cfg.AttachStdin = interactive && !detach
        cfg.AttachStdout = !detach
        cfg.AttachStderr = !detach
        cfg.DetachKeys = detachKeys
        let execID: String
        do {
            let r = try await client.send(.POST, client.path("/containers", args[0], "/exec"), body: .data(try JSONEncoder().encode(cfg)))
            execID = try JSONDecoder().decode(IDResponse.self, from: r.body).Id
        } catch let e as BerthError where e.code != .unavailable {
            throw CLIError(message: "Error response from daemon: " + e.message)
        }
        let body = try JSONEncoder().encode(ExecStartConfig(Detach: detach, Tty: tty))
        if detach {
            do { _ = try await client.send(.POST, client.path("/exec", execID, "/start"), body: .data(body)) } catch let e as BerthError
                where e.code != .unavailable
            {
                throw CLIError(message: "Error response from daemon: " + e.message, code: 126)
            }
            return
        }
        let stream = try client.hijack(.POST, client.path("/exec", execID, "/start"), body: .data(body))
        let done = try Attached.pump(
            client, stream, tty: tty, stdin: interactive, detachKeys: keys,
            resizePath: client.path("/exec", execID, "/resize"), proxy: nil)
        guard done else { return }
        let r = try await client.send(.GET, client.path("/exec", execID, "/json"))
        let code = (try JSONDecoder().decode(ExecInspect.self, from: r.body)).ExitCode ?? 0
        if code != 0 { throw ExitCode(code) }
    }
}

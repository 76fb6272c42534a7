import ArgumentParser
import BerthAPI
import BerthCore
import BerthEngine
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
        cfg.Env = env.isEmpty ? nil : env.map { e in
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
        struct Created: Decodable { var Id: String }
        let execID: String
        do {
            let r = try await client.send(.POST, client.path("/containers", args[0], "/exec"), body: .data(try JSONEncoder().encode(cfg)))
            execID = try JSONDecoder().decode(Created.self, from: r.body).Id
        } catch let e as BerthError where e.code != .unavailable {
            throw CLIError(message: "Error response from daemon: " + e.message)
        }
        struct StartBody: Encodable { var Detach: Bool; var Tty: Bool }
        let body = try JSONEncoder().encode(StartBody(Detach: detach, Tty: tty))
        if detach {
            do { _ = try await client.send(.POST, client.path("/exec", execID, "/start"), body: .data(body)) } catch let e as BerthError where e.code != .unavailable {
                throw CLIError(message: "Error response from daemon: " + e.message, code: 126)
            }
            return
        }
        let stream = try client.hijack(.POST, client.path("/exec", execID, "/start"), body: .data(body))
        let done = try Attached.pump(client, stream, tty: tty, stdin: interactive, detachKeys: keys,
                                     resizePath: client.path("/exec", execID, "/resize"), proxy: nil)
        guard done else { return }
        struct Inspect: Decodable { var ExitCode: Int32?; var Running: Bool }
        let r = try await client.send(.GET, client.path("/exec", execID, "/json"))
        let code = (try JSONDecoder().decode(Inspect.self, from: r.body)).ExitCode ?? 0
        if code != 0 { throw ExitCode(code) }
    }
}

/// `berth attach`.
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attach local standard input, output, and error streams to a running container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN.") var noStdin = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching.") var detachKeys: String?
    @Option(name: .customLong("sig-proxy"), help: "Proxy all received signals to the process (true|false).") var sigProxy: Bool = true
    @Argument(help: "CONTAINER") var container: String

    func run() async throws {
        let client = try global.client()
        let keys = try Run.detachKeys(detachKeys)
        let c = try await daemon { try await client.send(.GET, client.path("/containers", container, "/json")) }
        struct Info: Decodable {
            struct Config: Decodable { var Tty: Bool?; var OpenStdin: Bool? }
            struct State: Decodable { var Running: Bool; var Paused: Bool }
            var Id: String
            var Config: Config
            var State: State
        }
        let info = try JSONDecoder().decode(Info.self, from: c.body)
        guard info.State.Running else { throw CLIError(message: "You cannot attach to a stopped container, start it first") }
        if info.State.Paused { throw CLIError(message: "You cannot attach to a paused container, unpause it first") }
        let code = try await daemon {
            try await Attached.session(client, id: info.Id, tty: info.Config.Tty ?? false,
                                       stdin: !noStdin && (info.Config.OpenStdin ?? false), detachKeys: keys,
                                       detachKeysSpec: detachKeys, sigProxy: sigProxy, condition: "not-running") {}
        }
        if let code, code != 0 { throw ExitCode(code) }
    }
}

/// `berth top`.
struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Display the running processes of a container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER") var container: String
    @Argument(parsing: .captureForPassthrough, help: "[ps OPTIONS]") var psArgs: [String] = []

    func run() async throws {
        let client = try global.client()
        let q = psArgs.isEmpty ? [] : [("ps_args", psArgs.joined(separator: " "))]
        let r = try await daemon { try await client.send(.GET, client.path("/containers", container, "/top"), query: q) }
        let top = try JSONDecoder().decode(TopResult.self, from: r.body)
        // Docker's top table: tabwriter with a minimum width of 20.
        Out.write(TabWriter.format(rows: [top.Titles] + top.Processes, minWidth: 20, padding: 3))
    }
}

/// `berth port`: the published ports, from the database.
struct Port: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List port mappings or a specific mapping for the container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER") var container: String
    @Argument(help: "PRIVATE_PORT[/PROTO]") var port: String?

    func run() async throws {
        let store = try global.store()
        let (c, rows) = try store.read { db -> (ContainerRecord, [PortMapping]) in
            let c = try ContainerQueries.resolve(db, container)
            return (c, try ContainerQueries.publishedPorts(db, id: c.id))
        }
        var wanted: (Int, String)?
        if let port {
            let parts = port.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let n = Int(parts[0]), (1...65535).contains(n) else { throw CLIError(message: "Error: invalid port \(port)") }
            wanted = (n, parts.count > 1 ? parts[1] : "tcp")
        }
        var lines: [String] = []
        for r in rows {
            let cp = r.containerPort, proto = r.proto, ip = r.hostIP ?? "", hp = r.hostPort ?? 0
            let host = (ip.isEmpty ? "0.0.0.0" : ip) + ":" + String(hp)
            if let (n, p) = wanted {
                if n == cp && p == proto { lines.append(host) }
            } else {
                lines.append("\(cp)/\(proto) -> \(host)")
            }
        }
        if let (n, p) = wanted, lines.isEmpty {
            throw CLIError(message: "Error: No public port '\(n)/\(p)' published for \(c.name)")
        }
        for l in lines { Out.print(l) }
    }
}

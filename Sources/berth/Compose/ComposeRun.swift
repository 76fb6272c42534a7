import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import Foundation

/// `compose run SERVICE [COMMAND…]`: a one-off container of the service (its own name, the
/// one-off label, no published ports unless `--service-ports`), its dependencies started first
/// unless `--no-deps`; attached, with a terminal when there is one, as docker compose runs it.
struct ComposeRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a one-off command on a service.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Run container in background and print container ID.") var detach = false
    @Flag(name: .long, help: "Automatically remove the container when it exits.") var rm = false
    @Option(name: .long, help: "Assign a name to the container.") var name: String?
    @Option(name: .shortAndLong, help: "Set environment variables.") var env: [String] = []
    @Option(name: .shortAndLong, help: "Add or override a label.") var label: [String] = []
    @Option(name: .long, help: "Override the entrypoint of the image.") var entrypoint: String?
    @Option(name: .shortAndLong, help: "Run as specified username or uid.") var user: String?
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Flag(name: .customLong("no-deps"), help: "Don't start linked services.") var noDeps = false
    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation.") var noTTY = false
    @Flag(name: .customLong("service-ports"), help: "Run with the service's ports published.") var servicePorts = false
    @Flag(name: .long, help: "Build the image before starting the container.") var build = false
    @Option(name: .shortAndLong, help: "Publish a container's port(s) to the host.") var publish: [String] = []
    @Option(name: .shortAndLong, help: "Bind mount a volume (/host:/ctr[:ro], ./rel:/ctr, name:/ctr).") var volume: [String] = []
    @Argument(parsing: .captureForPassthrough, help: "SERVICE [COMMAND] [ARGS…]") var args: [String] = []

    func run() async throws {
        guard let serviceName = args.first else { throw CLIError(message: "compose run requires a SERVICE", code: 1) }
        let p = try opts.project()
        guard let s = p.service(serviceName) else { throw CLIError(message: "no such service: \(serviceName)", code: 1) }
        let engine = ComposeEngine(client: try opts.global.client(), project: p.name)
        // Its dependencies as `up -d` starts them (they stay up after the run, as with docker compose).
        let deps = s.dependsOn.keys.sorted()
        if !noDeps && !deps.isEmpty {
            var up = try ComposeUp.parse(["-d"] + deps)
            up.opts = opts
            try await up.run()
            for (dep, condition) in s.dependsOn.sorted(by: { $0.key < $1.key }) { try await engine.wait(for: dep, condition: condition) }
        }
        try await ComposeUp.prepare(p, [s], engine, build: build, global: opts.global)
        var req = try ComposePlan.request(p, s, number: 1, withHash: false)
        var labels = req.Labels ?? [:]
        labels[ComposePlan.oneoffLabel] = "True"
        for l in label {
            let kv = KeyValue.parse(l)
            labels[kv.key] = kv.value ?? ""
        }
        req.Labels = labels
        if args.count > 1 { req.Cmd = StringOrArray(Array(args.dropFirst())) }
        if let entrypoint { req.Entrypoint = StringOrArray(entrypoint.isEmpty ? [] : [entrypoint]) }
        if !env.isEmpty { req.Env = (req.Env ?? []) + env.map { $0.contains("=") ? $0 : "\($0)=\(ProcessInfo.processInfo.environment[$0] ?? "")" } }
        if let user { req.User = user }
        if let workdir { req.WorkingDir = workdir }
        let tty = !detach && !noTTY && isatty(0) == 1 && isatty(1) == 1
        req.Tty = tty
        req.OpenStdin = !detach
        req.AttachStdin = !detach
        req.StdinOnce = !detach
        var host = req.HostConfig ?? HostConfig()
        if !servicePorts { host.PortBindings = nil }
        if !publish.isEmpty {
            // Published on top of the service's (when --service-ports) as `docker compose run -p` does.
            let (bindings, exposed) = try CreateOptions.ports(publish: publish, expose: [])
            host.PortBindings = (host.PortBindings ?? [:]).merging(bindings) { _, new in new }
            req.ExposedPorts = (req.ExposedPorts ?? [:]).merging(exposed) { _, new in new }
        }
        if !volume.isEmpty {
            let binds = volume.map { Self.absoluteSource($0) }
            // One given here replaces the service's mount at the same path.
            let targets = Set(binds.compactMap { Self.target(of: $0) })
            host.Mounts = host.Mounts?.filter { !targets.contains($0.Target ?? "") }
            host.Binds = (host.Binds ?? []) + binds
        }
        if rm { host.AutoRemove = true }
        // One-off containers have no restart policy: the run is the whole life.
        host.RestartPolicy = nil
        req.HostConfig = host
        let container = name ?? "\(p.name)-\(s.name)-run-\(Identifier.random().prefix(12))"
        let id = try await engine.create(p, s, request: req, name: container)
        if detach {
            _ = try await engine.client.send(.POST, engine.client.path("/containers", id, "/start"))
            Out.print(container)
            return
        }
        let code = try await Attached.session(
            engine.client, id: id, tty: tty, stdin: true, detachKeys: DetachKeys.defaultKeys, detachKeysSpec: nil,
            sigProxy: true, condition: "next-exit"
        ) {
            _ = try await engine.client.send(.POST, engine.client.path("/containers", id, "/start"))
        }
        if let code, code != 0 { throw ExitCode(code) }
    }

    /// A relative bind source (`./data:/data`) made absolute against the current directory.
    static func absoluteSource(_ spec: String) -> String {
        guard spec.hasPrefix("./") || spec.hasPrefix("../") || spec == "." || spec.hasPrefix(".:") else { return spec }
        let colon = spec.firstIndex(of: ":") ?? spec.endIndex
        return ComposeLoader.absolute(String(spec[..<colon]), FileManager.default.currentDirectoryPath) + spec[colon...]
    }

    /// The container path of a `-v` spec (`/ctr` alone, or the second field).
    static func target(of spec: String) -> String? {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 1 ? String(parts[0]) : parts.count > 1 ? String(parts[1]) : nil
    }
}

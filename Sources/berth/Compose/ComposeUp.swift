import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import Foundation

/// `compose up`: networks, volumes and images first, then the services in dependency order,
/// each wave's services at once. Convergent: a container whose config hash matches is left
/// running; a changed service is recreated.
struct ComposeUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Create and start containers.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Detached mode: run containers in the background.") var detach = false
    @Flag(name: .long, help: "Build images before starting containers.") var build = false
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if their configuration hasn't changed.") var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "If containers already exist, don't recreate them.") var noRecreate = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file.") var removeOrphans = false
    @Flag(name: .long, help: "Wait for services to be running|healthy. Implies detached mode.") var wait = false
    @Option(name: .customLong("wait-timeout"), help: "Maximum duration to wait for the project to be running|healthy (seconds).") var waitTimeout: Double = 300
    @Argument(help: "SERVICE…") var services: [String] = []

    func validate() throws {
        if forceRecreate && noRecreate { throw ValidationError("--force-recreate and --no-recreate are incompatible") }
    }

    func run() async throws {
        let p = try opts.project()
        for s in services where p.service(s) == nil { throw CLIError(message: "no such service: \(s)", code: 1) }
        let waves = try p.startOrder(services.isEmpty ? nil : services)
        let chosen = waves.flatMap { $0 }
        let engine = ComposeEngine(client: try opts.global.client(), project: p.name)
        let existing = try await engine.members()
        let known = Set(p.services.map(\.name))
        for m in existing where !known.contains(m.service) && !m.oneoff {
            if removeOrphans { try await engine.remove(m) } else {
                Out.err("WARN[0000] Found orphan container (\(m.name)) for this project. Remove it with --remove-orphans.")
            }
        }
        try await Self.prepare(p, chosen, engine, build: build, global: opts.global)
        for wave in waves {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for s in wave {
                    group.addTask {
                        for (dep, condition) in s.dependsOn.sorted(by: { $0.key < $1.key }) {
                            try await engine.wait(for: dep, condition: condition)
                        }
                        try await converge(p, s, engine, existing.filter { $0.service == s.name && !$0.oneoff })
                    }
                }
                try await group.waitForAll()
            }
        }
        if wait {
            for s in chosen where s.replicas > 0 {
                try await engine.wait(for: s.name, condition: s.healthcheck != nil ? "service_healthy" : "service_started", timeout: waitTimeout)
                Out.err(" Service \(s.name)  \(s.healthcheck != nil ? "Healthy" : "Running")")
            }
        }
        if !detach && !wait {
            let members = try await engine.members().filter { !$0.oneoff && (services.isEmpty || services.contains($0.service)) }
            let interrupt = ComposeInterrupt(client: engine.client, members: members)
            defer { interrupt.holdIfInterrupted() }
            var logs = try ComposeLogs.parse([])
            logs.opts = opts
            logs.follow = true
            logs.services = services
            try await logs.run()
        }
    }

    func converge(_ p: ComposeProject, _ s: ComposeService, _ engine: ComposeEngine, _ mine: [ComposeEngine.Member]) async throws {
        let hash = try ComposePlan.configHash(p, s)
        for n in stride(from: 1, through: s.replicas, by: 1) {
            let name = ComposePlan.containerName(p, s, n)
            if let c = mine.first(where: { $0.number == n }) {
                if (c.hash != hash || forceRecreate) && !noRecreate {
                    try await engine.remove(c)
                    try await engine.start(try await engine.create(p, s, number: n), name)
                } else if c.state != "running" {
                    try await engine.start(c.id, c.name)
                } else {
                    Out.err(" Container \(c.name)  Running")
                }
            } else {
                try await engine.start(try await engine.create(p, s, number: n), name)
            }
        }
        // Scaled down: the highest numbers go.
        for c in mine where c.number > s.replicas { try await engine.remove(c) }
    }

    /// What the services need before a container: their networks, volumes and images (built
    /// when missing or asked).
    static func prepare(_ p: ComposeProject, _ chosen: [ComposeService], _ engine: ComposeEngine, build: Bool, global: GlobalOptions) async throws {
        for key in Set(chosen.filter { $0.networkMode == nil }.flatMap { $0.networks.keys }).sorted() {
            try await engine.ensureNetwork(key, p.networks[key]!)
        }
        for key in Set(chosen.flatMap { $0.volumes.filter { $0.type == "volume" && !$0.source.isEmpty }.map(\.source) }).sorted() {
            try await engine.ensureVolume(key, p.volumes[key]!)
        }
        for s in chosen {
            let image = ComposePlan.image(p, s)
            if let b = s.build {
                let have = try await engine.exists(engine.client.path("/images", image, "/json"))
                if build || !have { try await Self.build(image, b, global: global) }
            } else {
                try await engine.ensureImage(image)
            }
        }
    }

    /// A service's `build:` through berth's own builder (its context, Dockerfile, args, target).
    static func build(_ image: String, _ b: ComposeService.Build, global: GlobalOptions, extra: [String] = []) async throws {
        var args = ["-t", image, "-q"]
        if let f = b.dockerfile { args += ["-f", f.hasPrefix("/") ? f : b.context + "/" + f] }
        for (k, v) in b.args.sorted(by: { $0.key < $1.key }) { args += ["--build-arg", "\(k)=\(v)"] }
        // `compose build`'s own options after the file's: its --build-arg wins.
        args += extra
        if let t = b.target { args += ["--target", t] }
        Out.err(" Building \(image)")
        var cmd = try Build.parse(args + [b.context])
        cmd.global = global
        // The builder's answer (the image id) goes to stderr: up's stdout stays for the user's.
        let saved = dup(1)
        dup2(2, 1)
        defer { dup2(saved, 1); close(saved) }
        try await cmd.run()
    }
}

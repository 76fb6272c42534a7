import BerthAPI
import BerthBuild
import BerthCore
import BerthImage
import BerthRuntime
import BerthStore
import Foundation

extension Builder {
    /// RUN: a container from the current image (the stage's env, workdir, user and shell, the
    /// build args as env), its output streamed, its changes committed as the step's layer.
    func runStep(_ ins: Instruction) async throws {
        guard let parent = state.imageID, state.hasLayers else {
            throw BerthError.invalid("RUN needs a base image with a filesystem: \(ins.text)")
        }
        let argv = ins.json ?? (shell + [ins.heredoc ?? ins.args])
        // Docker's `|N K=V … cmd`: the args a RUN sees are part of what it is (and its cache key).
        let env = Set((state.config.Env ?? []).map { String($0.prefix { $0 != "=" }) })
        let args = state.args.filter { !env.contains($0.0) }
        let prefix = args.isEmpty ? "" : "|\(args.count) " + args.map { "\($0.0)=\($0.1)" }.joined(separator: " ") + " "
        let createdBy = prefix + argv.joined(separator: " ")
        let config = state.config
        // Docker's predefined proxy args reach every RUN without an ARG, and stay out of the
        // history and the cache key (they name the build machine's network, not the image).
        var runEnv = args.map { "\($0.0)=\($0.1)" }
        for name in Self.proxyArgs where !env.contains(name) && !args.contains(where: { $0.0 == name }) {
            if let v = request.buildArgs[name] ?? nil { runEnv.append("\(name)=\(v)") }
        }
        try await step(key: cacheKey("run", createdBy)) {
            try await runContainer(parent: parent, argv: argv, env: runEnv, config: config, createdBy: createdBy)
        }
    }

    /// The label of a RUN step's container (berth's own namespace; it never reaches an image).
    static let stepLabel = "io.berth.build.step"

    static let proxyArgs = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
        "all_proxy",
    ]

    /// Creates, starts and waits for the step's container; commits it unless it failed; always
    /// removes it.
    private func runContainer(parent: String, argv: [String], env: [String], config: ContainerConfig, createdBy: String) async throws -> String {
        var req = ContainerCreateRequest()
        req.Image = parent
        req.Cmd = StringOrArray(argv)
        req.Entrypoint = StringOrArray([])
        req.Env = env
        // The image's health check is not the step's business.
        var health = HealthConfig()
        health.Test = ["NONE"]
        req.Healthcheck = health
        // Marked in SQLite as a build step: a berthd killed mid-build removes it at start-up.
        req.Labels = [Builder.stepLabel: "1"]
        var host = HostConfig()
        let net = request.networkMode.flatMap { $0.isEmpty || $0 == "default" ? nil : $0 } ?? ContainerService.defaultNetwork
        host.NetworkMode = net
        host.ExtraHosts = request.extraHosts.isEmpty ? nil : request.extraHosts
        req.HostConfig = host
        let (id, _) = try await containers.create(req, name: nil, imageVolumes: false)
        say(" ---> Running in \(Identifier.short(id))\n")
        do {
            let code = try await follow(id)
            guard code == 0 else {
                throw BerthError.invalid("The command '\(argv.joined(separator: " "))' returned a non-zero code: \(code)")
            }
            let lowers = try containers.lowerDirs(try containers.get(id))
            let image = try await images.makeImage(
                NewImage(
                    parent: parent, config: config, createdBy: createdBy, upper: paths.containers + "/" + id + "/upper",
                    lowers: lowers, created: createdTime, clampSeconds: epoch))
            try await containers.remove(id, force: true, volumes: true)
            say("Removing intermediate container \(Identifier.short(id))\n")
            return image
        } catch {
            // Removed whatever ended the step, a cancelled build too (the removal is not itself cancelled).
            let containers = self.containers
            await Task { try? await containers.remove(id, force: true, volumes: true) }.value
            throw error
        }
    }

    /// Starts the container and streams its log until it exits; returns the exit code.
    private func follow(_ id: String) async throws -> Int64 {
        let ticket = containers.exitTicket(id)
        let reader = LogReader(path: paths.containers + "/" + id + "/ctr.log")
        try await containers.start(id)
        // Everything there is is read before each wait; after the exit, what is left, then stop.
        var code: Int64?
        while true {
            let lines = reader.next()
            for l in lines { say(String(decoding: l.text, as: UTF8.self)) }
            if !lines.isEmpty { continue }
            if let code {
                for l in reader.flushPending() { say(String(decoding: l.text, as: UTF8.self) + "\n") }
                return code
            }
            // The build's client went away: the step's container is killed and removed.
            if code == nil, Task.isCancelled { throw CancellationError() }
            code = await ticket.wait(timeoutNanos: 50_000_000)
        }
    }
}

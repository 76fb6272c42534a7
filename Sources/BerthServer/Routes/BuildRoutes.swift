import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

extension EngineRouter {
    static let buildRoutes: [Route] = [
        Route("POST", "/build") { h, r, _ in try h.build(r) },
        Route("POST", "/build/prune") { h, _, _ in
            let (ids, bytes) = try await BuildService(images: h.images, containers: h.containers).prune()
            return try .json(BuildCachePruneReport(CachesDeleted: ids, SpaceReclaimed: bytes))
        },
    ]

    /// POST /build: the classic builder's JSON stream (`stream`, `aux`, then `error` +
    /// `errorDetail` on failure — with status 200, as Docker, since the stream has begun).
    func build(_ r: APIRequest) throws -> APIResponse {
        var req = BuildRequest()
        if let remote = r.query("remote"), !remote.isEmpty {
            throw BerthError.invalid("remote build contexts (\(remote)) are not supported by berth: send the context as a tar")
        }
        if let p = r.query("platform"), !p.isEmpty, !p.hasPrefix("linux/" + HostFacts.goArch), p != "linux" {
            throw BerthError.invalid("berth builds for linux/\(HostFacts.goArch) only, not \(p)")
        }
        // The first value, as Go's FormValue reads it: docker-py sends a Dockerfile from outside
        // the context as `dockerfile=NAME&dockerfile=CONTENT` (NAME is in the tar).
        req.dockerfile = r.query["dockerfile"]?.first.flatMap { $0.isEmpty ? nil : $0 } ?? "Dockerfile"
        // `--add-host` for the RUN steps: `host:ip` each, repeated or comma-separated.
        req.extraHosts = (r.query["extrahosts"] ?? []).flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
        req.tags = (r.query["t"] ?? []).filter { !$0.isEmpty }
        req.target = r.query("target")
        req.noCache = r.flag("nocache")
        req.pull = r.flag("pull")
        req.quiet = r.flag("q")
        req.networkMode = r.query("networkmode")
        if let a = r.query("buildargs"), !a.isEmpty {
            guard let m = try? JSONDecoder().decode([String: String?].self, from: Data(a.utf8)) else {
                throw BerthError.invalid("invalid buildargs: \(a)")
            }
            req.buildArgs = m
        }
        if let l = r.query("labels"), !l.isEmpty {
            guard let m = try? JSONDecoder().decode([String: String].self, from: Data(l.utf8)) else {
                throw BerthError.invalid("invalid labels: \(l)")
            }
            req.labels = m
        }
        req.auth = AuthConfig.fromConfigHeader(r.headers["x-registry-config"])
        // The server removes the request body when the handler returns; the build outlives it.
        if let body = r.bodyFile {
            try FileOps.makeDirs(paths.tmp, mode: 0o700)
            let mine = paths.tmp + "/context-" + Identifier.random().prefix(16) + ".tar"
            guard link(body, mine) == 0 else { throw BerthError.posix("keep the build context") }
            req.contextArchive = mine
        } else if !r.body.isEmpty {
            try FileOps.makeDirs(paths.tmp, mode: 0o700)
            let mine = paths.tmp + "/context-" + Identifier.random().prefix(16) + ".tar"
            try FileOps.writeAtomically(r.body, to: mine, durable: false)
            req.contextArchive = mine
        }
        let service = BuildService(images: images, containers: containers)
        let progress = ProgressStream()
        // The stream begins at once: every failure, even of the context, is an error line.
        progress.begin()
        let request = req
        progress.run(until: r.connection) {
            defer { if let c = request.contextArchive { unlink(c) } }
            do {
                _ = try await service.build(request) { m in
                    switch m {
                    case .stream(let s): progress.send(["stream": s])
                    case .aux(let id): progress.send(["aux": ["ID": id]])
                    }
                }
                progress.finish()
            } catch {
                progress.finish(error, code: Self.exitCode(BerthError.from(error).message))
            }
        }
        return progress.response
    }

    /// The exit code in Docker's "returned a non-zero code: N" message.
    static func exitCode(_ message: String) -> Int? {
        guard let r = message.range(of: "returned a non-zero code: ") else { return nil }
        return Int(message[r.upperBound...].prefix { $0.isNumber })
    }
}

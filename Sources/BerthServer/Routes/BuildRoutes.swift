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
        req.dockerfile = r.query("dockerfile").flatMap { $0.isEmpty ? nil : $0 } ?? "Dockerfile"
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
        req.auth = Self.registryConfig(r.headers["x-registry-config"])
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
        let (stream, cont) = AsyncThrowingStream<Data, any Error>.makeStream()
        let request = req
        Task {
            defer { if let c = request.contextArchive { unlink(c) } }
            @Sendable func line(_ obj: [String: Any]) {
                if let d = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]) {
                    cont.yield(d + Data("\r\n".utf8))
                }
            }
            do {
                _ = try await service.build(request) { m in
                    switch m {
                    case .stream(let s): line(["stream": s])
                    case .aux(let id): line(["aux": ["ID": id]])
                    }
                }
            } catch {
                let message = (error as? BerthError)?.message ?? "\(error)"
                var detail: [String: Any] = ["message": message]
                if let code = Self.exitCode(message) { detail["code"] = code }
                line(["errorDetail": detail, "error": message])
            }
            cont.finish()
        }
        return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(stream))
    }

    /// The exit code in Docker's "returned a non-zero code: N" message.
    static func exitCode(_ message: String) -> Int? {
        guard let r = message.range(of: "returned a non-zero code: ") else { return nil }
        return Int(message[r.upperBound...].prefix { $0.isNumber })
    }

    /// `X-Registry-Config`: base64 JSON of registry → credentials; berth takes the first with any.
    static func registryConfig(_ value: String?) -> AuthConfig? {
        guard var v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        v = v.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while v.count % 4 != 0 { v += "=" }
        guard let d = Data(base64Encoded: v), let m = try? JSONDecoder().decode([String: AuthConfig].self, from: d) else { return nil }
        return m.values.first { $0.credentials != nil }
    }
}

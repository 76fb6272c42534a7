import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

extension EngineRouter {
    static let imageRoutes: [Route] = [
        Route("GET", "/images/json") { h, r, _ in try .json(try h.listImages(r)) },
        Route("POST", "/images/load") { h, r, _ in try await h.load(r) },
        Route("POST", "/images/create") { h, r, _ in try await h.create(r) },
        Route("POST", "/images/prune") { h, r, _ in try await h.prune(r) },
        Route("GET", "/images/get") { h, r, _ in try await h.save(r.query["names"] ?? []) },
        Route("GET", "/images/{name*}/json") { h, _, p in try h.inspectImage(p["name"]) },
        Route("GET", "/images/{name*}/get") { h, _, p in try await h.save([p["name"]]) },
        Route("POST", "/images/{name*}/tag") { h, r, p in try await h.tag(p["name"], r) },
        Route("POST", "/images/{name*}/push") { h, r, p in
            // docker push sends the tag apart: /images/reg/app/push?tag=1.0.
            var name = p["name"]
            if let tag = r.query("tag"), !tag.isEmpty { name += ":" + tag }
            return try .jsonLines(try await h.images.push(name, auth: AuthConfig.fromHeader(r.headers["x-registry-auth"])))
        },
        Route("GET", "/distribution/{name*}/json") { h, r, p in
            try .json(try await h.images.distribution(p["name"], auth: AuthConfig.fromHeader(r.headers["x-registry-auth"])))
        },
        Route("DELETE", "/images/{name*}") { h, r, p in
            try .json(try await h.images.remove(p["name"], force: r.flag("force"), prune: !r.flag("noprune")))
        },
    ]

    func tag(_ source: String, _ r: APIRequest) async throws -> APIResponse {
        guard let repo = r.query("repo"), !repo.isEmpty else { throw BerthError.invalid("repo is required") }
        let tag = r.query("tag").flatMap { $0.isEmpty ? nil : $0 }
        try await images.tag(source: source, target: tag.map { repo + ":" + $0 } ?? repo)
        return .noContent(201)
    }

    func listImages(_ r: APIRequest) throws -> [ImageSummary] {
        let filters = try ImageFilters(try r.filters())
        return try store.read { db in try filters.list(db, all: r.flag("all")).map(ImageSummary.init) }
    }

    func inspectImage(_ name: String) throws -> APIResponse {
        let detail = try store.read { db -> ImageDetail in
            let id = try ImageResolver.resolve(db, name).imageID
            guard let d = try ImageQueries.detail(db, id: id) else { throw BerthError.notFound("No such image: \(name)") }
            return d
        }
        return try .json(ImageInspect(detail) { paths.layerDiff(String($0.dropFirst(7))) })
    }

    func load(_ r: APIRequest) async throws -> APIResponse {
        guard let file = r.bodyFile else { throw BerthError.invalid("load needs an archive in the request body") }
        do {
            let lines = try await images.load(archive: file)
            return try .jsonLines(lines.map { ["stream": $0 + "\n"] })
        } catch let e as BerthError where e.code != .internalError {
            // Docker answers a bad archive with 200 and the error in the message stream.
            let obj: [String: Any] = ["errorDetail": ["message": e.message], "error": e.message]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])
            return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .data(data + Data([0x0a])))
        }
    }

    /// Import (`fromSrc=-`). Pulling (`fromImage`) arrives with the registry work.
    func create(_ r: APIRequest) async throws -> APIResponse {
        if let from = r.query("fromImage"), !from.isEmpty {
            // docker pull sends the tag apart: fromImage=busybox&tag=1.36 (or a digest).
            var name = from
            if let tag = r.query("tag"), !tag.isEmpty, !from.contains("@"), !(from.split(separator: "/").last ?? "").contains(":") {
                name += (tag.hasPrefix("sha256:") ? "@" : ":") + tag
            }
            let progress = ProgressStream()
            let images = self.images
            let auth = AuthConfig.fromHeader(r.headers["x-registry-auth"])
            let platform = r.query("platform")
            // Docker: an empty `tag` (what `docker pull -a` sends) pulls every tag of the name.
            let allTags = r.query("tag") == "" && !from.contains("@") && !(from.split(separator: "/").last ?? "").contains(":")
            let reference = name
            progress.run(until: r.connection) {
                do {
                    if allTags {
                        try await images.pullAllTags(reference, auth: auth, platform: platform) { progress.send($0) }
                    } else {
                        _ = try await images.pull(reference, auth: auth, platform: platform) { progress.send($0) }
                    }
                    progress.finish()
                } catch {
                    progress.finish(error)
                }
            }
            try await progress.ready()
            return progress.response
        }
        guard r.query("fromSrc") == "-" else {
            throw BerthError.invalid("import needs fromSrc=- with the archive in the request body")
        }
        guard let file = r.bodyFile else { throw BerthError.invalid("import needs an archive in the request body") }
        var ref: String?
        if let repo = r.query("repo"), !repo.isEmpty {
            ref = repo
            if let tag = r.query("tag"), !tag.isEmpty { ref = repo + ":" + tag }
        }
        let id = try await images.importImage(
            archive: file, reference: ref, changes: r.query["changes"] ?? [],
            message: r.query("message").flatMap { $0.isEmpty ? nil : $0 })
        return try .jsonLines([["status": id]])
    }

    func prune(_ r: APIRequest) async throws -> APIResponse {
        let f = try r.filters()
        var filters = ImagePruneFilters()
        for k in f.keys where !["dangling", "until", "label", "label!"].contains(k) {
            throw BerthError.invalid("invalid filter '\(k)'")
        }
        let all = (f["dangling"]?.last).map { $0 == "false" || $0 == "0" } ?? false
        if let u = f["until"]?.last {
            guard let t = Clock.parseTimestamp(u) else { throw BerthError.invalid("invalid filter 'until=\(u)'") }
            filters.until = t
        }
        filters.labels = (f["label"] ?? []).map { ImageFilters.splitLabel($0) }.map { (key: $0.0, value: $0.1) }
        filters.notLabels = (f["label!"] ?? []).map { ImageFilters.splitLabel($0) }.map { (key: $0.0, value: $0.1) }
        return try .json(try await images.prune(all: all, filters: filters))
    }

    func save(_ names: [String]) async throws -> APIResponse {
        let names = names.flatMap { $0.split(separator: ",").map(String.init) }
        try FileOps.makeDirs(paths.tmp, mode: 0o700)
        let out = paths.tmp + "/save-" + Identifier.random().prefix(16) + ".tar"
        do {
            try await images.save(names: names, to: out)
        } catch {
            unlink(out)
            throw error
        }
        return APIResponse(
            status: 200, headers: [("Content-Type", "application/x-tar")],
            body: .file(path: out, deleteAfter: true))
    }
}

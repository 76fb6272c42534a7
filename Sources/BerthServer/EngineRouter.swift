import BerthAPI
import BerthCore
import BerthEngine
import BerthImage
import BerthStore
import Foundation
import Logging

/// berthd's routes: the subset of the Docker Engine API berth serves.
public struct EngineRouter: APIHandler {
    let store: Store
    let images: ImageService
    let containers: ContainerService
    let paths: BerthPaths
    let daemonID: String
    let logger: Logger

    public init(store: Store, images: ImageService, containers: ContainerService, paths: BerthPaths,
                daemonID: String, logger: Logger) {
        self.store = store
        self.images = images
        self.containers = containers
        self.paths = paths
        self.daemonID = daemonID
        self.logger = logger
    }

    public func handle(_ r: APIRequest) async -> APIResponse {
        do {
            return try await route(r)
        } catch let e as BerthError {
            if e.code == .internalError { logger.error("\(r.method) \(r.path): \(e.message)") }
            return .error(e)
        } catch {
            logger.error("\(r.method) \(r.path): \(error)")
            return .error(BerthError.from(error))
        }
    }

    func route(_ r: APIRequest) async throws -> APIResponse {
        let p = r.path
        switch (r.method, p) {
        case ("GET", "/_ping"), ("HEAD", "/_ping"):
            return APIResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"),
                                                      ("Cache-Control", "no-cache, no-store, must-revalidate"),
                                                      ("Pragma", "no-cache")],
                               body: .data(Data("OK".utf8)))
        case ("GET", "/version"):
            return try .json(SystemFacts.version())
        case ("GET", "/info"):
            return try .json(try info())
        case ("GET", "/images/json"):
            return try .json(try listImages(r))
        case ("POST", "/images/load"):
            return try await load(r)
        case ("POST", "/images/create"):
            return try await create(r)
        case ("POST", "/images/prune"):
            return try await prune(r)
        case ("GET", "/events"):
            return try events(r)
        case ("GET", "/images/get"):
            return try await save(r.query["names"] ?? [])
        default:
            break
        }
        if let response = try await routeExec(r) { return response }
        if let response = try await routeContainers(r) { return response }
        if let response = try await routeVolumes(r) { return response }
        if p.hasPrefix("/images/") {
            let rest = String(p.dropFirst("/images/".count))
            if r.method == "GET", rest.hasSuffix("/json") {
                return try inspectImage(String(rest.dropLast(5)))
            }
            if r.method == "GET", rest.hasSuffix("/get") {
                return try await save([String(rest.dropLast(4))])
            }
            if r.method == "POST", rest.hasSuffix("/tag") {
                let source = String(rest.dropLast(4))
                guard let repo = r.query("repo"), !repo.isEmpty else { throw BerthError.invalid("repo is required") }
                let tag = r.query("tag").flatMap { $0.isEmpty ? nil : $0 }
                try await images.tag(source: source, target: tag.map { repo + ":" + $0 } ?? repo)
                return .noContent(201)
            }
            if r.method == "DELETE", !rest.isEmpty {
                let items = try await images.remove(rest, force: r.flag("force"), prune: !r.flag("noprune"))
                return try .json(items)
            }
        }
        throw BerthError.notFound("page not found: \(r.method) \(p)")
    }

    // MARK: images

    func listImages(_ r: APIRequest) throws -> [ImageSummary] {
        let filters = try ImageFilters(try r.filters())
        return try store.read { db in try filters.list(db).map(ImageSummary.init) }
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
        let lines = try await images.load(archive: file)
        return try .jsonLines(lines.map { ["stream": $0 + "\n"] })
    }

    /// Import (`fromSrc=-`). Pulling (`fromImage`) arrives with the registry work.
    func create(_ r: APIRequest) async throws -> APIResponse {
        if let from = r.query("fromImage"), !from.isEmpty {
            throw BerthError.notFound("pull access for \(from) is not available: berth cannot pull from registries yet; load the image with `berth load -i FILE`")
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
        let id = try await images.importImage(archive: file, reference: ref, changes: r.query["changes"] ?? [],
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
        return APIResponse(status: 200, headers: [("Content-Type", "application/x-tar")],
                           body: .file(path: out, deleteAfter: true))
    }

    // MARK: system

    func info() throws -> SystemInfo {
        let (counts, imageCount) = try store.read { db in try SystemQueries.counts(db) }
        return SystemInfo.current(daemonID: daemonID, containerStates: counts, images: imageCount, root: paths.root)
    }

    /// GET /events: the persisted history from `since`, then (without `until`) new events as
    /// berthd writes them, one JSON message per line.
    func events(_ r: APIRequest) throws -> APIResponse {
        let now = Clock.nowNanos()
        func time(_ key: String) throws -> Int64? {
            guard let s = r.query(key), !s.isEmpty else { return nil }
            guard let t = Clock.parseAPITimestamp(s, now: now) else { throw BerthError.invalid("invalid value for \"\(key)\": \(s)") }
            return t
        }
        let q = EventQuery(since: try time("since"), until: try time("until"), filters: try r.filters())
        try q.validate()
        let store = self.store
        let query = q
        let stream = AsyncThrowingStream<Data, any Error> { cont in
            let task = Task {
                var q = query
                func encode(_ events: [EventRecord]) -> Data {
                    var out = Data()
                    for e in events {
                        if let d = try? JSONSerialization.data(withJSONObject: e.dockerMessage, options: [.withoutEscapingSlashes]) {
                            out.append(d)
                            out.append(0x0a)
                        }
                    }
                    return out
                }
                do {
                    var last: Int64
                    if q.since != nil || q.until != nil {
                        let history = try store.read { db in try q.run(db) }
                        cont.yield(encode(history))
                        last = max(history.last?.id ?? 0, try store.read { db in try EventQuery.lastID(db) })
                    } else {
                        last = try store.read { db in try EventQuery.lastID(db) }
                    }
                    q.since = nil
                    while !Task.isCancelled {
                        if let until = q.until, Clock.nowNanos() > until { break }
                        q.afterID = last
                        let fresh = try store.read { db in try q.run(db) }
                        if let until = q.until, let e = fresh.first(where: { $0.timeNanos > until }) {
                            cont.yield(encode(fresh.filter { $0.id < e.id }))
                            break
                        }
                        if !fresh.isEmpty { cont.yield(encode(fresh)); last = fresh.last!.id }
                        try await Task.sleep(nanoseconds: 100_000_000)
                    }
                } catch {}
                cont.finish()
            }
            cont.onTermination = { _ in task.cancel() }
        }
        return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(stream))
    }
}

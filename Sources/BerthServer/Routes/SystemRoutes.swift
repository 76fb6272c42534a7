import BerthAPI
import BerthCore
import BerthStore
import Foundation

extension EngineRouter {
    static let systemRoutes: [Route] = [
        Route(methods: ["GET", "HEAD"], "/_ping") { _, _, _ in
            APIResponse(
                status: 200,
                headers: [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Cache-Control", "no-cache, no-store, must-revalidate"),
                    ("Pragma", "no-cache"),
                ],
                body: .data(Data("OK".utf8)))
        },
        Route("GET", "/version") { _, _, _ in try .json(VersionInfo.server()) },
        Route("GET", "/info") { h, _, _ in try .json(try h.info()) },
        Route("GET", "/plugins") { _, _, _ in try .json([String]()) },
        Route("GET", "/system/df") { h, _, _ in
            let containers = h.paths.containers
            return try .json(
                try h.store.read { db in
                    try SystemQueries.diskUsage(db, upperDir: { containers + "/" + $0 + "/upper" }, dirSize: FileOps.treeSize)
                })
        },
        Route("GET", "/events") { h, r, _ in try h.events(r) },
        Route("GET", "/metrics") { h, _, _ in
            let figures = try h.store.read { db in try HostFigures.read(db) }
            let bytes = max(0, FileOps.size(h.store.path)) + max(0, FileOps.size(h.store.path + "-wal"))
            return APIResponse(
                status: 200, headers: [("Content-Type", MetricsPage.contentType)],
                body: .data(Data(MetricsPage.render(figures, requests: h.metrics, databaseBytes: bytes))))
        },
        Route("POST", "/auth") { h, r, _ in
            try .json(try await h.images.login(try decode(AuthConfig.self, r.body, what: "auth config")))
        },
    ]

    func info() throws -> SystemInfo {
        let (counts, imageCount) = try store.read { db in try SystemQueries.counts(db) }
        var info = SystemInfo.current(daemonID: daemonID, containerStates: counts, images: imageCount, root: paths.root)
        // Docker lists mirrors with a trailing slash.
        let mirrors = images.registryMirrors.map { $0.absoluteString.hasSuffix("/") ? $0.absoluteString : $0.absoluteString + "/" }
        info.RegistryConfig.Mirrors = mirrors
        if let network = containers.rootlessNetworkSummary { info.setRootless(network: network) }
        info.RegistryConfig.IndexConfigs["docker.io"]?.Mirrors = mirrors
        for r in images.insecureRegistries.sorted() {
            info.RegistryConfig.IndexConfigs[r] = .init(Name: r, Mirrors: [], Secure: false, Official: false)
        }
        return info
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

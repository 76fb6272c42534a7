import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

extension EngineRouter {
    static let networkRoutes: [Route] = [
        Route("GET", "/networks") { h, r, _ in try h.listNetworks(r) },
        Route("POST", "/networks/create") { h, r, _ in
            let req = try decode(NetworkCreateRequest.self, r.body, what: "network config")
            let (id, warning) = try await h.containers.createNetwork(req)
            return try .json(NetworkCreateResponse(Id: id, Warning: warning), status: 201)
        },
        Route("POST", "/networks/prune") { h, r, _ in
            let f = try r.filters()
            for k in f.keys where !["until", "label"].contains(k) { throw BerthError.invalid("invalid filter '\(k)'") }
            var until: Int64?
            if let u = f["until"]?.last {
                guard let t = Clock.parseTimestamp(u) else { throw BerthError.invalid("invalid filter 'until=\(u)'") }
                until = t
            }
            let labels = (f["label"] ?? []).map { ImageFilters.splitLabel($0) }.map { (key: $0.0, value: $0.1) }
            return try .json(NetworkPruneReport(NetworksDeleted: try await h.containers.pruneNetworks(until: until, labels: labels)))
        },
        Route("GET", "/networks/{id}") { h, _, p in try .json(try h.store.read { db in try NetworkResource.read(db, p["id"]) }) },
        Route("POST", "/networks/{id}/connect") { h, r, p in
            let req = try decode(NetworkConnectRequest.self, r.body, what: "connect request")
            let e = req.EndpointConfig
            try await h.containers.connect(
                network: p["id"], container: req.Container, aliases: e?.Aliases ?? [],
                ip: e?.IPAMConfig?.IPv4Address.flatMap { $0.isEmpty ? nil : $0 }, mac: e?.MacAddress.flatMap { $0.isEmpty ? nil : $0 })
            return .noContent(200)
        },
        Route("POST", "/networks/{id}/disconnect") { h, r, p in
            let req = try decode(NetworkDisconnectRequest.self, r.body, what: "disconnect request")
            try await h.containers.disconnect(network: p["id"], container: req.Container, force: req.Force ?? false)
            return .noContent(200)
        },
        Route("DELETE", "/networks/{id}") { h, _, p in
            try await h.containers.removeNetwork(p["id"])
            return .noContent()
        },
    ]

    /// GET /networks with Docker's filters.
    func listNetworks(_ r: APIRequest) throws -> APIResponse {
        let filters = try NetworkFilters(try r.filters())
        return try .json(
            try store.read { db -> [NetworkResource] in
                try filters.list(db).map { NetworkResource($0, endpoints: try NetworkStore.endpoints(db, networkID: $0.id)) }
            })
    }
}

import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

extension EngineRouter {
    static let volumeRoutes: [Route] = [
        Route("GET", "/volumes") { h, r, _ in
            let filters = try r.filters()
            return try .json(VolumeListResponse(Volumes: try h.store.read { db in try VolumeStore.list(db, filters: filters) }))
        },
        Route("POST", "/volumes/create") { h, r, _ in
            let body =
                r.body.isEmpty
                ? VolumeCreateRequest(Name: nil, Labels: nil)
                : try decode(VolumeCreateRequest.self, r.body, what: "volume config")
            try body.checkDriver()
            return try .json(try await h.containers.createVolume(name: body.Name, labels: body.Labels ?? [:]), status: 201)
        },
        Route("POST", "/volumes/prune") { h, r, _ in
            let all = (try r.filters()["all"]?.last).map { $0 == "true" || $0 == "1" } ?? false
            let (names, bytes) = try await h.containers.pruneVolumes(all: all)
            return try .json(VolumePruneReport(VolumesDeleted: names, SpaceReclaimed: bytes))
        },
        Route("GET", "/volumes/{name}") { h, _, p in try .json(try h.store.read { db in try VolumeStore.get(db, p["name"]) }) },
        Route("DELETE", "/volumes/{name}") { h, r, p in
            try await h.containers.removeVolume(p["name"], force: r.flag("force"))
            return .noContent()
        },
    ]
}

import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

extension EngineRouter {
    /// /volumes routes; nil when the path is not one of them.
    func routeVolumes(_ r: APIRequest) async throws -> APIResponse? {
        switch (r.method, r.path) {
        case ("GET", "/volumes"):
            struct List: Encodable { var Volumes: [VolumeRecord]; var Warnings: [String] }
            return try .json(List(Volumes: try store.read { db in try VolumeStore.list(db) }, Warnings: []))
        case ("POST", "/volumes/create"):
            struct Create: Decodable { var Name: String?; var Labels: [String: String]? }
            let body = r.body.isEmpty ? Create(Name: nil, Labels: nil) : try JSONDecoder().decode(Create.self, from: r.body)
            return try .json(try await containers.createVolume(name: body.Name, labels: body.Labels ?? [:]), status: 201)
        case ("POST", "/volumes/prune"):
            let all = (try r.filters()["all"]?.last).map { $0 == "true" || $0 == "1" } ?? false
            let (names, bytes) = try await containers.pruneVolumes(all: all)
            struct Pruned: Encodable { var VolumesDeleted: [String]; var SpaceReclaimed: Int64 }
            return try .json(Pruned(VolumesDeleted: names, SpaceReclaimed: bytes))
        default:
            break
        }
        guard r.path.hasPrefix("/volumes/") else { return nil }
        let name = String(r.path.dropFirst("/volumes/".count))
        switch r.method {
        case "GET": return try .json(try store.read { db in try VolumeStore.get(db, name) })
        case "DELETE":
            try await containers.removeVolume(name, force: r.flag("force"))
            return .noContent()
        default: return nil
        }
    }
}

import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

extension EngineRouter {
    /// Commit, changes, export and image history: a container's filesystem as an image or a tar.
    static let commitRoutes: [Route] = [
        Route("POST", "/commit") { h, r, _ in try await h.commit(r) },
        Route("GET", "/containers/{id}/changes") { h, _, p in
            let changes = try await h.containers.changes(p["id"])
            // Docker answers null for no changes.
            return changes.isEmpty
                ? APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .data(Data("null".utf8))) : try .json(changes)
        },
        Route("GET", "/containers/{id}/export") { h, _, p in
            let file = try await h.containers.export(p["id"])
            return APIResponse(status: 200, headers: [("Content-Type", "application/x-tar")], body: .file(path: file, deleteAfter: true))
        },
        Route("GET", "/images/{name*}/history") { h, _, p in
            try .json(
                try h.store.read { db in
                    try ImageQueries.history(db, id: try ImageResolver.resolve(db, p["name"]).imageID)
                })
        },
    ]

    /// POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes= (body: a config to
    /// merge, which clients send empty or as `{}`).
    func commit(_ r: APIRequest) async throws -> APIResponse {
        guard let ref = r.query("container"), !ref.isEmpty else { throw BerthError.invalid("container is required") }
        let c = try containers.get(ref)
        var name: String?
        if let repo = r.query("repo"), !repo.isEmpty {
            name = repo
            if let tag = r.query("tag"), !tag.isEmpty { name = repo + ":" + tag }
        }
        let pause = r.flag("pause", default: true)
        var paused = false
        if pause && c.state == .running {
            try await containers.pause(c.id)
            paused = true
        }
        let result: Result<String, any Error>
        do {
            result = .success(
                try await images.commit(
                    c, reference: name, changes: r.query["changes"] ?? [], message: r.query("comment").flatMap { $0.isEmpty ? nil : $0 },
                    author: r.query("author").flatMap { $0.isEmpty ? nil : $0 }))
        } catch {
            result = .failure(error)
        }
        if paused { try? await containers.unpause(c.id) }
        return try .json(IDResponse(Id: try result.get()), status: 201)
    }
}

import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

extension EngineRouter {
    static let containerRoutes: [Route] = [
        Route("POST", "/containers/create") { h, r, _ in try await h.createContainer(r) },
        Route("POST", "/containers/prune") { h, r, _ in
            let (ids, bytes) = try await h.containers.prune(try ContainerPruneFilters(try r.filters()))
            return try .json(ContainerPruneReport(ContainersDeleted: ids, SpaceReclaimed: bytes))
        },
        // berth's own batch removal (the CLI's `rm A B C…`): one request, batched work.
        Route("POST", "/berth/containers/remove") { h, r, _ in
            let b = try decode(BatchRemoveRequest.self, r.body, what: "body")
            return try .json(await h.containers.removeMany(b.Refs, force: b.Force ?? false, volumes: b.Volumes ?? false))
        },
        Route("GET", "/containers/json") { h, r, _ in try h.listContainers(r) },
        Route("GET", "/containers/{id}/json") { h, _, p in try h.inspectContainer(p["id"]) },
        Route("POST", "/containers/{id}/start") { h, _, p in
            try await h.containers.start(p["id"])
            return .noContent()
        },
        Route("POST", "/containers/{id}/stop") { h, r, p in
            try await h.containers.stop(p["id"], timeout: r.query("t").flatMap { Int($0) } ?? r.query("timeout").flatMap { Int($0) })
            return .noContent()
        },
        Route("POST", "/containers/{id}/restart") { h, r, p in
            do { try await h.containers.stop(p["id"], timeout: r.query("t").flatMap { Int($0) }) } catch let e as BerthError where e.code == .notModified {}
            try await h.containers.start(p["id"])
            return .noContent()
        },
        Route("POST", "/containers/{id}/kill") { h, r, p in
            try await h.containers.kill(p["id"], signal: r.query("signal").flatMap { $0.isEmpty ? nil : $0 })
            return .noContent()
        },
        Route("POST", "/containers/{id}/wait") { h, r, p in try await h.wait(p["id"], r) },
        Route("DELETE", "/containers/{id}") { h, r, p in
            try await h.containers.remove(p["id"], force: r.flag("force"), volumes: r.flag("v"))
            return .noContent()
        },
        Route("POST", "/containers/{id}/pause") { h, _, p in
            try await h.containers.pause(p["id"])
            return .noContent()
        },
        Route("POST", "/containers/{id}/unpause") { h, _, p in
            try await h.containers.unpause(p["id"])
            return .noContent()
        },
        Route("POST", "/containers/{id}/rename") { h, r, p in
            guard let name = r.query("name"), !name.isEmpty else { throw BerthError.invalid("name is required") }
            try await h.containers.rename(p["id"], to: name)
            return .noContent()
        },
        Route("GET", "/containers/{id}/logs") { h, r, p in try h.logs(p["id"], r) },
        Route("GET", "/containers/{id}/stats") { h, r, p in try await h.stats(p["id"], r) },
        Route("POST", "/containers/{id}/attach") { h, r, p in try await h.attach(p["id"], r) },
        Route("POST", "/containers/{id}/resize") { h, r, p in
            try h.containers.resize(
                p["id"], height: r.query("h").flatMap { Int($0) } ?? 0,
                width: r.query("w").flatMap { Int($0) } ?? 0)
            return .noContent(200)
        },
        Route("HEAD", "/containers/{id}/archive") { h, r, p in try await h.statArchive(p["id"], r) },
        Route("GET", "/containers/{id}/archive") { h, r, p in try await h.getArchive(p["id"], r) },
        Route("PUT", "/containers/{id}/archive") { h, r, p in try await h.putArchive(p["id"], r) },
        Route("POST", "/containers/{id}/update") { h, r, p in
            let u = r.body.isEmpty ? ContainerUpdateRequest(RestartPolicy: nil) : try decode(ContainerUpdateRequest.self, r.body, what: "update")
            if let raw = try? JSONDecoder().decode(JSONValue.self, from: r.body) {
                let unsupported = UnsupportedOptions.find(inUpdate: raw)
                if !unsupported.isEmpty { throw BerthError.invalid("berth cannot update \(unsupported.joined(separator: ", "))") }
            }
            if u.changesResources { try await h.containers.updateResources(p["id"], u) }
            if let policy = u.RestartPolicy {
                try await h.containers.updateRestartPolicy(
                    p["id"], name: policy.Name ?? "no",
                    maximumRetryCount: policy.MaximumRetryCount)
            }
            return try .json(ContainerUpdateResponse())
        },
        Route("GET", "/containers/{id}/top") { h, r, p in try .json(try await h.containers.top(p["id"], psArgs: r.query("ps_args"))) },
    ]

    /// A JSON body, or 400 naming what was wrong with it.
    static func decode<T: Decodable>(_ type: T.Type, _ body: Data, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: body) } catch { throw BerthError.invalid("invalid \(what): \(error)") }
    }

    func createContainer(_ r: APIRequest) async throws -> APIResponse {
        guard !r.body.isEmpty else { throw BerthError.invalid("config cannot be empty in order to create a container") }
        let req = try Self.decode(ContainerCreateRequest.self, r.body, what: "container config")
        // What berth cannot apply is refused, not dropped.
        if let raw = try? JSONDecoder().decode(JSONValue.self, from: r.body) {
            let unsupported = UnsupportedOptions.find(in: raw)
            if !unsupported.isEmpty {
                throw BerthError.invalid("berth does not support \(unsupported.joined(separator: ", ")); leave it unset")
            }
        }
        let (id, warnings) = try await containers.create(req, name: r.query("name").flatMap { $0.isEmpty ? nil : $0 })
        return try .json(ContainerCreateResponse(Id: id, Warnings: warnings), status: 201)
    }

    func listContainers(_ r: APIRequest) throws -> APIResponse {
        let limit = r.query("limit").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        let query = ContainerListQuery(all: r.flag("all"), filters: try r.filters(), last: limit)
        let list = try store.read { db -> [ContainerSummary] in
            let rows = try query.run(db) { try ImageResolver.imageIDs(db, $0) }
            let labels = try ContainerQueries.labels(db, ids: rows.map(\.id))
            let ports = try NetworkStore.allPorts(db), nets = try NetworkStore.allAttachments(db)
            let mounts = try ContainerQueries.allMounts(db)
            let sizes = r.flag("size") ? try ImageQueries.sizes(db) : [:]
            return rows.map { c in
                var s = ContainerSummary(c, labels: labels[c.id] ?? [:], ports: ports[c.id] ?? [], networks: nets[c.id] ?? [])
                s.Mounts = (mounts[c.id] ?? []).map(ContainerInspect.MountPoint.init)
                if r.flag("size") {
                    // size=1: the writable layer measured on disk, as Docker's (costly, asked for).
                    let rw = FileOps.treeSize(paths.containers + "/" + c.id + "/upper")
                    s.SizeRw = rw
                    s.SizeRootFs = rw + (sizes[c.imageID] ?? 0)
                }
                return s
            }
        }
        return try .json(list)
    }

    func inspectContainer(_ ref: String) throws -> APIResponse {
        let paths = self.paths
        return try .json(try store.read { db in try ContainerInspect.read(db, ref, containersDir: paths.containers) })
    }

    /// POST /containers/{id}/wait: the head goes out once the wait is registered (a client may
    /// start the container then), the status when the condition is met.
    func wait(_ ref: String, _ r: APIRequest) async throws -> APIResponse {
        let waiting = try await containers.waitHandle(ref, condition: r.query("condition"))
        let stream = AsyncThrowingStream<Data, any Error> { cont in
            let task = Task {
                let code = await waiting()
                var line = (try? JSONEncoder().encode(ContainerWaitResponse(StatusCode: Int64(code)))) ?? Data()
                line.append(0x0a)
                cont.yield(line)
                cont.finish()
            }
            cont.onTermination = { _ in task.cancel() }
        }
        return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(stream))
    }
}

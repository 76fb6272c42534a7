import BerthAPI
import BerthCore
import BerthEngine
import BerthRuntime
import BerthStore
import Foundation

extension EngineRouter {
    /// /containers/… routes; nil when the path is not one of them.
    func routeContainers(_ r: APIRequest) async throws -> APIResponse? {
        let p = r.path
        switch (r.method, p) {
        case ("POST", "/containers/create"):
            guard !r.body.isEmpty else { throw BerthError.invalid("config cannot be empty in order to create a container") }
            let req: ContainerCreateRequest
            do { req = try JSONDecoder().decode(ContainerCreateRequest.self, from: r.body) } catch {
                throw BerthError.invalid("invalid container config: \(error)")
            }
            let (id, warnings) = try await containers.create(req, name: r.query("name").flatMap { $0.isEmpty ? nil : $0 })
            struct Created: Encodable { var Id: String; var Warnings: [String] }
            return try .json(Created(Id: id, Warnings: warnings), status: 201)
        case ("POST", "/containers/prune"):
            let (ids, bytes) = try await containers.prune(try ContainerPruneFilters(try r.filters()))
            struct Pruned: Encodable { var ContainersDeleted: [String]; var SpaceReclaimed: Int64 }
            return try .json(Pruned(ContainersDeleted: ids, SpaceReclaimed: bytes))
        case ("POST", "/berth/containers/remove"):
            // berth's own batch removal (the CLI's `rm A B C…`): one request, batched work.
            struct Batch: Decodable { var Refs: [String]; var Force: Bool?; var Volumes: Bool? }
            let b: Batch
            do { b = try JSONDecoder().decode(Batch.self, from: r.body) } catch { throw BerthError.invalid("invalid body: \(error)") }
            return try .json(await containers.removeMany(b.Refs, force: b.Force ?? false, volumes: b.Volumes ?? false))
        case ("GET", "/containers/json"):
            let limit = r.query("limit").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            let query = ContainerListQuery(all: r.flag("all"), filters: try r.filters(), last: limit)
            let list = try store.read { db -> [ContainerSummary] in
                let rows = try query.run(db) { try ImageResolver.imageIDs(db, $0) }
                let labels = try ContainerQueries.labels(db, ids: rows.map(\.id))
                return rows.map { ContainerSummary($0, labels: labels[$0.id] ?? [:]) }
            }
            return try .json(list)
        default:
            break
        }
        guard p.hasPrefix("/containers/") else { return nil }
        let rest = p.dropFirst("/containers/".count)
        let parts = rest.split(separator: "/", maxSplits: 1).map(String.init)
        guard let ref = parts.first, !ref.isEmpty else { return nil }
        let action = parts.count > 1 ? parts[1] : ""
        switch (r.method, action) {
        case ("GET", "json"):
            let (c, mounts) = try store.read { db in
                let c = try ContainerQueries.resolve(db, ref)
                return (c, try ContainerQueries.mounts(db, id: c.id))
            }
            return try .json(ContainerInspect(c, mounts: mounts, containerDir: paths.containers + "/" + c.id))
        case ("POST", "start"):
            try await containers.start(ref)
            return .noContent()
        case ("POST", "stop"):
            try await containers.stop(ref, timeout: r.query("t").flatMap { Int($0) } ?? r.query("timeout").flatMap { Int($0) })
            return .noContent()
        case ("POST", "restart"):
            do { try await containers.stop(ref, timeout: r.query("t").flatMap { Int($0) }) } catch let e as BerthError where e.code == .notModified {}
            try await containers.start(ref)
            return .noContent()
        case ("POST", "kill"):
            try await containers.kill(ref, signal: r.query("signal").flatMap { $0.isEmpty ? nil : $0 })
            return .noContent()
        case ("POST", "wait"):
            // The headers go out once the wait is registered: a client may start the container then.
            let waiting = try await containers.waitHandle(ref, condition: r.query("condition"))
            let stream = AsyncThrowingStream<Data, any Error> { cont in
                let task = Task {
                    let code = await waiting()
                    cont.yield(Data("{\"Error\":null,\"StatusCode\":\(code)}\n".utf8))
                    cont.finish()
                }
                cont.onTermination = { _ in task.cancel() }
            }
            return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(stream))
        case ("DELETE", ""):
            try await containers.remove(ref, force: r.flag("force"), volumes: r.flag("v"))
            return .noContent()
        case ("POST", "pause"):
            try await containers.pause(ref)
            return .noContent()
        case ("POST", "unpause"):
            try await containers.unpause(ref)
            return .noContent()
        case ("POST", "rename"):
            guard let name = r.query("name"), !name.isEmpty else { throw BerthError.invalid("name is required") }
            try await containers.rename(ref, to: name)
            return .noContent()
        case ("GET", "logs"):
            return try logs(ref, r)
        case ("POST", "attach"):
            return try await attach(ref, r)
        case ("POST", "resize"):
            try containers.resize(ref, height: r.query("h").flatMap { Int($0) } ?? 0, width: r.query("w").flatMap { Int($0) } ?? 0)
            return .noContent(200)
        case ("HEAD", "archive"), ("GET", "archive"):
            guard let path = r.query("path"), !path.isEmpty else { throw BerthError.invalid("path is required") }
            if r.method == "HEAD" {
                let st = try await containers.statPath(ref, path)
                return APIResponse(status: 200, headers: [("X-Docker-Container-Path-Stat", try Self.statHeader(st))])
            }
            let (st, file) = try await containers.exportPath(ref, path)
            return APIResponse(status: 200, headers: [("Content-Type", "application/x-tar"),
                                                      ("X-Docker-Container-Path-Stat", try Self.statHeader(st))],
                               body: .file(path: file, deleteAfter: true))
        case ("PUT", "archive"):
            guard let path = r.query("path"), !path.isEmpty else { throw BerthError.invalid("path is required") }
            var file = r.bodyFile
            if file == nil {
                try FileOps.makeDirs(paths.tmp, mode: 0o700)
                let tmp = paths.tmp + "/cp-" + Identifier.random().prefix(16) + ".tar"
                try FileOps.writeAtomically(r.body, to: tmp, mode: 0o600)
                file = tmp
            }
            defer { if r.bodyFile == nil, let file { unlink(file) } }
            try await containers.importArchive(ref, path, tarFile: file!)
            return .noContent(200)
        case ("POST", "update"):
            struct Update: Decodable { var RestartPolicy: HostConfig.RestartPolicy? }
            let u = (try? JSONDecoder().decode(Update.self, from: r.body)) ?? Update()
            if let p = u.RestartPolicy {
                try await containers.updateRestartPolicy(ref, name: p.Name ?? "no", maximumRetryCount: p.MaximumRetryCount)
            }
            struct Updated: Encodable { var Warnings: [String] }
            return try .json(Updated(Warnings: []))
        case ("GET", "top"):
            return try .json(try await containers.top(ref, psArgs: r.query("ps_args")))
        default:
            return nil
        }
    }

    /// Logs as Docker's multiplexed stream (8-byte header: stream, 0, 0, 0, big-endian length).
    func logs(_ ref: String, _ r: APIRequest) throws -> APIResponse {
        let c = try store.read { db in try ContainerQueries.resolve(db, ref) }
        let wantOut = r.query("stdout") == nil || r.flag("stdout")
        let wantErr = r.query("stderr") == nil || r.flag("stderr")
        let follow = r.flag("follow")
        let timestamps = r.flag("timestamps")
        let since = try r.query("since").flatMap { s -> Int64? in
            guard !s.isEmpty, s != "0" else { return nil }
            guard let t = Clock.parseTimestamp(s) else { throw BerthError.invalid("invalid value for \"since\": \(s)") }
            return t
        }
        let until = try r.query("until").flatMap { s -> Int64? in
            guard !s.isEmpty, s != "0" else { return nil }
            guard let t = Clock.parseTimestamp(s) else { throw BerthError.invalid("invalid value for \"until\": \(s)") }
            return t
        }
        let tail = r.query("tail").flatMap { Int($0) }
        let reader = LogReader(paths: LogFiles.paths(dir: paths.containers + "/" + c.id))
        let store = self.store
        let id = c.id
        let containers = self.containers
        func frames(_ lines: [LogLine]) -> Data {
            var out = Data()
            for l in lines {
                if l.stream == .stdout && !wantOut || l.stream == .stderr && !wantErr { continue }
                if let since, l.time < since { continue }
                if let until, l.time > until { continue }
                var payload = Data()
                if timestamps { payload.append(contentsOf: Array((Clock.rfc3339Nano(l.time, trimZeros: false) + " ").utf8)) }
                payload.append(l.text)
                let n = UInt32(payload.count)
                out.append(contentsOf: [l.stream.rawValue, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)])
                out.append(payload)
            }
            return out
        }
        if let tail, tail >= 0 { reader.seekToTail(tail) }
        // Registered before the first read: the exit wakes the follower at once.
        let exited = follow ? containers.exitTicket(id) : nil
        let cursor = LogCursor()
        // Pulled, not pushed: the next chunk is read only once the last one was sent, so a
        // 500 MB log goes through one megabyte at a time.
        let stream = AsyncThrowingStream<Data, any Error> {
            while !cursor.done {
                let lines = reader.next()
                if !lines.isEmpty { return frames(lines) }
                // Everything there is was read: follow a running container (and a created one
                // about to start, for a foreground run) until it exits, is removed or fails.
                if follow && !Task.isCancelled {
                    let c = try? store.read { db in try ContainerQueries.get(db, id: id) }
                    let alive = c.map { $0.isRunning || ($0.state == "created" && $0.error == nil) } ?? false
                    if alive {
                        // New output is polled; the exit ends the wait early.
                        _ = await exited?.wait(timeoutNanos: 50_000_000)
                        continue
                    }
                    let last = reader.next()
                    if !last.isEmpty { return frames(last) }
                }
                cursor.done = true
                let rest = frames(reader.flushPending())
                return rest.isEmpty ? nil : rest
            }
            return nil
        }
        return APIResponse(status: 200, headers: [("Content-Type", "application/vnd.docker.multiplexed-stream")],
                           body: .stream(stream))
    }

    /// Where a pulled log stream is (one consumer reads it, one chunk at a time).
    final class LogCursor: @unchecked Sendable {
        // @unchecked: the stream's unfolding closure is called by one iterator, never at once.
        var done = false
    }

    static func statHeader(_ st: PathStat) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return try e.encode(st).base64EncodedString()
    }
}

import BerthAPI
import BerthCore
import BerthEngine
import BerthRuntime
import Foundation

extension EngineRouter {
    static let execRoutes: [Route] = [
        Route("POST", "/containers/{id}/exec") { h, r, p in
            let cfg = try decode(ExecConfig.self, r.body, what: "exec config")
            let id = try h.containers.execCreate(p["id"], cfg)
            return try .json(IDResponse(Id: id), status: 201)
        },
        Route("GET", "/exec/{id}/json") { h, _, p in try .json(try h.containers.execSession(p["id"]).inspect) },
        Route("POST", "/exec/{id}/resize") { h, r, p in
            try h.containers.execResize(
                p["id"], height: r.query("h").flatMap { Int($0) } ?? 0,
                width: r.query("w").flatMap { Int($0) } ?? 0)
            return .noContent(200)
        },
        Route("POST", "/exec/{id}/start") { h, r, p in try await h.execStart(p["id"], r) },
    ]

    /// POST /exec/{id}/start: detached, or the connection hijacked for the process's streams.
    func execStart(_ id: String, _ r: APIRequest) async throws -> APIResponse {
        let containers = self.containers
        let none = ExecStartConfig(Detach: nil, Tty: nil)
        let start = r.body.isEmpty ? none : (try? JSONDecoder().decode(ExecStartConfig.self, from: r.body)) ?? none
        let detach = start.Detach ?? false
        let (session, bridge) = try await offload { try containers.execPrepare(id, detach: detach, startTty: start.Tty) }
        guard let bridge else {
            let message = try await offload { containers.execRun(session, bridge: nil) { _ in } }
            if let message { throw BerthError.internal("OCI runtime exec failed: " + message) }
            return .noContent(200)
        }
        return .hijack(r, tty: !bridge.framed, ExecHijack(containers: containers, session: session, bridge: bridge))
    }

    /// POST /containers/{id}/attach.
    func attach(_ ref: String, _ r: APIRequest) async throws -> APIResponse {
        let containers = self.containers
        let stdin = r.flag("stdin"), stdout = r.flag("stdout"), stderr = r.flag("stderr")
        // stream=0 (docker-py's default): the logs if asked, then the end — never a wait.
        if !r.flag("stream", default: true) {
            let (tty, data) = try attachLogs(ref, logs: r.flag("logs"), stdout: stdout, stderr: stderr)
            return .hijack(r, tty: tty, LogsHijack(data: data))
        }
        let keys = r.query("detachKeys")
        let bridge = try await offload {
            try containers.attach(ref, stdin: stdin, stdout: stdout, stderr: stderr, detachKeys: keys)
        }
        return .hijack(
            r, tty: bridge.tty,
            AttachHijack(bridge: bridge) { end in
                if end == .detached { containers.recordDetach(ref) }
            })
    }

    /// The container's log as an attach would have shown it (raw for a TTY, else multiplexed).
    func attachLogs(_ ref: String, logs: Bool, stdout: Bool, stderr: Bool) throws -> (tty: Bool, data: Data) {
        let c = try containers.get(ref)
        let tty = (try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8)))?.Tty ?? false
        var out = Data()
        guard logs else { return (tty, out) }
        try c.checkLogsReadable()
        let reader = LogReader(dir: paths.containers + "/" + c.id)
        func add(_ lines: [LogLine]) {
            for l in lines where l.stream == .stdout ? stdout : stderr {
                out += tty ? l.text : AttachBridge.frame(l.stream.rawValue, l.text)
            }
        }
        while true {
            let lines = reader.next()
            if lines.isEmpty { break }
            add(lines)
        }
        add(reader.flushPending())
        return (tty, out)
    }
}

/// An attach with `stream=0`: the logs written into the hijacked connection, then the end.
struct LogsHijack: HijackSession {
    let data: Data
    func received(_ data: Data) {}
    func inputEnded() {}
    func disconnected() {}
    func run(write: (Data) throws -> Void) { if !data.isEmpty { try? write(data) } }
}

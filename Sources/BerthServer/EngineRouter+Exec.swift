import BerthAPI
import BerthCore
import BerthEngine
import Foundation

/// A hijacked attach: client bytes to the container's stdin, its output back.
struct AttachHijack: HijackSession {
    let bridge: AttachBridge
    let onEnd: @Sendable (AttachBridge.End) -> Void
    func received(_ data: Data) { bridge.input(data) }
    func inputEnded() { bridge.inputEnded() }
    func disconnected() { bridge.clientGone() }
    func run(write: (Data) throws -> Void) { onEnd(bridge.pump(write)) }
}

/// A hijacked exec start: runs the process and streams it; a failure to start is written
/// into the stream (the exit code is in GET /exec/{id}/json), as Docker does.
struct ExecHijack: HijackSession {
    let containers: ContainerService
    let session: ExecSession
    let bridge: AttachBridge
    func received(_ data: Data) { bridge.input(data) }
    func inputEnded() { bridge.inputEnded() }
    func disconnected() { bridge.clientGone() }
    func run(write: (Data) throws -> Void) {
        if let message = containers.execRun(session, bridge: bridge, write: write) {
            let text = Data(("OCI runtime exec failed: " + message + "\r\n").utf8)
            try? write(bridge.tty ? text : AttachBridge.frame(2, text))
        }
    }
}

extension EngineRouter {
    /// POST /containers/{id}/attach.
    func attach(_ ref: String, _ r: APIRequest) async throws -> APIResponse {
        let containers = self.containers
        let stdin = r.flag("stdin"), stdout = r.flag("stdout"), stderr = r.flag("stderr")
        let keys = r.query("detachKeys")
        let bridge = try await offload {
            try containers.attach(ref, stdin: stdin, stdout: stdout, stderr: stderr, detachKeys: keys)
        }
        return .hijack(r, tty: bridge.tty, AttachHijack(bridge: bridge) { end in
            if end == .detached { containers.recordDetach(ref) }
        })
    }

    /// /exec/… routes and POST /containers/{id}/exec; nil when not one of them.
    func routeExec(_ r: APIRequest) async throws -> APIResponse? {
        let containers = self.containers
        let p = r.path
        if r.method == "POST", p.hasPrefix("/containers/"), p.hasSuffix("/exec") {
            let ref = String(p.dropFirst("/containers/".count).dropLast("/exec".count))
            let cfg: ExecConfig
            do { cfg = try JSONDecoder().decode(ExecConfig.self, from: r.body) } catch {
                throw BerthError.invalid("invalid exec config: \(error)")
            }
            let id = try containers.execCreate(ref, cfg)
            struct Created: Encodable { var Id: String }
            return try .json(Created(Id: id), status: 201)
        }
        guard p.hasPrefix("/exec/") else { return nil }
        let parts = p.dropFirst("/exec/".count).split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let id = parts[0]
        switch (r.method, parts[1]) {
        case ("GET", "json"):
            return try .json(try containers.execSession(id).inspect)
        case ("POST", "resize"):
            try containers.execResize(id, height: r.query("h").flatMap { Int($0) } ?? 0,
                                      width: r.query("w").flatMap { Int($0) } ?? 0)
            return .noContent(200)
        case ("POST", "start"):
            struct Start: Decodable { var Detach: Bool?; var Tty: Bool? }
            let start = r.body.isEmpty ? Start() : (try? JSONDecoder().decode(Start.self, from: r.body)) ?? Start()
            let detach = start.Detach ?? false
            let (session, bridge) = try await offload { try containers.execPrepare(id, detach: detach) }
            guard let bridge else {
                let message = try await offload { containers.execRun(session, bridge: nil) { _ in } }
                if let message { throw BerthError.internal("OCI runtime exec failed: " + message) }
                return .noContent(200)
            }
            return .hijack(r, tty: bridge.tty, ExecHijack(containers: containers, session: session, bridge: bridge))
        default:
            return nil
        }
    }
}

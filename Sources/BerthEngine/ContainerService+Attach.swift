import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation
import Synchronization

/// Clients waiting for a container to start (Docker attaches before it starts, so no output
/// is missed): they are connected between `runc create` and `runc start`.
final class PendingAttaches: Sendable {
    private let byID = Mutex<[String: [ObjectIdentifier: AttachBridge]]>([:])

    func add(_ id: String, _ b: AttachBridge) {
        byID.withLock { $0[id, default: [:]][ObjectIdentifier(b)] = b }
    }

    func remove(_ id: String, _ b: AttachBridge) {
        byID.withLock { byID in
            byID[id]?[ObjectIdentifier(b)] = nil
            if byID[id]?.isEmpty == true { byID[id] = nil }
        }
    }

    func take(_ id: String) -> [AttachBridge] {
        Array((byID.withLock { $0.removeValue(forKey: id) } ?? [:]).values)
    }
}

extension ContainerService {
    /// `POST /containers/{id}/attach`: a bridge to the container's stdio, connected now if it
    /// runs, else when it starts.
    public func attach(_ ref: String, stdin: Bool, stdout: Bool, stderr: Bool, detachKeys: String?) throws -> AttachBridge {
        let keys = try detachKeys.map(DetachKeys.parse) ?? DetachKeys.defaultKeys
        let c = try get(ref)
        if c.state == .removing || c.state == .dead {
            throw BerthError.conflict("You cannot attach to a container that is \(c.state)")
        }
        if c.state == .paused { throw BerthError.conflict("You cannot attach to a paused container, unpause it first") }
        let req = try JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8))
        let bridge = AttachBridge(
            tty: req.Tty ?? false, stdin: stdin && (req.OpenStdin ?? false),
            stdout: stdout, stderr: stderr, detachKeys: keys)
        let id = c.id
        bridge.onCancel = { [weak self, weak bridge] in
            if let self, let bridge { self.pendingAttaches.remove(id, bridge) }
        }
        try? store.write { db in try event(db, c, "attach") }
        if c.isRunning {
            bridge.connect(try AttachSocket.connect(dir: files(id).bundle))
        } else {
            pendingAttaches.add(id, bridge)
        }
        return bridge
    }

    /// Records a client's detach (ctrl-p ctrl-q).
    public func recordDetach(_ ref: String) {
        guard let c = try? get(ref) else { return }
        try? store.write { db in try event(db, c, "detach") }
    }

    /// `POST /containers/{id}/resize`.
    public func resize(_ ref: String, height: Int, width: Int) throws {
        let c = try get(ref)
        guard c.isRunning else { throw BerthError.conflict("Container \(c.id) is not running") }
        let req = try JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8))
        guard req.Tty == true else { return }
        try Conmon.resize(bundle: files(c.id).bundle, height: height, width: width)
    }

    /// Connects the clients waiting for this start; called after `runc create`.
    func connectPendingAttaches(_ id: String) {
        for b in pendingAttaches.take(id) {
            do { b.connect(try AttachSocket.connect(dir: files(id).bundle)) } catch {
                logger.warning("attach to \(id) failed: \(error)")
                b.cancel()
            }
        }
    }

    /// Ends the clients waiting for a start that failed.
    func cancelPendingAttaches(_ id: String) {
        for b in pendingAttaches.take(id) { b.cancel() }
    }
}

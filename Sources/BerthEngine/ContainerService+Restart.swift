import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation
import Synchronization

/// Restart back-off per container, as Docker's restart manager: 100 ms, doubling to a minute,
/// back to 100 ms after a run of 10 s or more. Kept in memory; a berthd restart starts over.
final class RestartBackoff: Sendable {
    static let initial: Int64 = 100_000_000
    static let maximum: Int64 = 60_000_000_000
    static let resetAfter: Int64 = 10_000_000_000

    private let delays = Mutex<[String: Int64]>([:])

    /// The delay before the next restart of `id`, whose last run lasted `ranFor`.
    func next(_ id: String, ranFor: Int64) -> Int64 {
        delays.withLock { delays in
            let d: Int64
            if ranFor >= Self.resetAfter || delays[id] == nil { d = Self.initial } else { d = min(Self.maximum, delays[id]! * 2) }
            delays[id] = d
            return d
        }
    }

    func forget(_ id: String) {
        delays.withLock { $0[id] = nil }
    }
}

extension ContainerService {
    /// Docker's rules for a container that just exited by itself.
    static func shouldRestart(
        policy: String, max: Int64, count: Int64, exitCode: Int64,
        stoppedByUser: Bool, autoRemove: Bool
    ) -> Bool {
        if stoppedByUser || autoRemove { return false }
        switch RestartPolicyName(request: policy) {
        case .always, .unlessStopped: return true
        case .onFailure: return exitCode != 0 && (max <= 0 || count < max)
        case .no, nil: return false
        }
    }

    /// Which stopped containers berthd starts when it comes up (also after a reboot): `always`
    /// ones even if a user stopped them, `unless-stopped` unless a user did, `on-failure` after a
    /// non-zero exit that was not a user's doing, within its retry count.
    static func startsWithDaemon(
        policy: String, max: Int64, count: Int64, exitCode: Int64?,
        stoppedByUser: Bool, hasRun: Bool
    ) -> Bool {
        guard hasRun else { return false }
        switch RestartPolicyName(request: policy) {
        case .always: return true
        case .unlessStopped: return !stoppedByUser
        case .onFailure: return !stoppedByUser && (exitCode ?? 0) != 0 && (max <= 0 || count < max)
        case .no, nil: return false
        }
    }

    /// Sleeps until `at`, then restarts `id` if it is still waiting for it.
    func scheduleRestart(_ id: String, at: Int64) {
        let delay = max(0, at - Clock.nowNanos())
        Task.detached { [self] in
            if delay > 0 { try? await Task.sleep(nanoseconds: Checked.sleepNanos(delay)) }
            do {
                try await worker.container(id) { [self] in try restartDue(id) }
            } catch {
                logger.warning("restart of \(id.prefix(12)) failed: \(error)")
            }
        }
    }

    /// On the worker: a pending restart whose time came (a user may have cancelled it since).
    func restartDue(_ id: String) throws {
        guard let c = try store.read({ db in try ContainerQueries.get(db, id: id) }), c.state == .restarting else { return }
        do {
            try startSync(id, restarting: true)
        } catch {
            // Could not start: it stays exited with the error; no further attempts (as Docker).
            try store.write { db in
                try ContainerStore.cancelRestart(db, id: id, byUser: false)
            }
            throw error
        }
    }

    /// A user's stop, kill or rm of a container waiting to restart: the restart is cancelled
    /// and the container counts as stopped by the user. Returns the row as it is now.
    func cancelPendingRestart(_ c: ContainerRecord) throws -> ContainerRecord {
        guard c.state == .restarting else { return c }
        try store.write { db in
            try ContainerStore.cancelRestart(db, id: c.id, byUser: true)
        }
        backoff.forget(c.id)
        return try store.read { db in try ContainerQueries.get(db, id: c.id) } ?? c
    }

    /// Restarts that were pending when berthd stopped resume with their remaining delay.
    func resumePendingRestarts() throws -> Int {
        let pending = try store.read { db in
            try ContainerStore.pendingRestarts(db)
        }
        for (id, at) in pending { scheduleRestart(id, at: at) }
        return pending.count
    }

    /// `berth update --restart`: a new policy for an existing container.
    public func updateRestartPolicy(_ ref: String, name: String, maximumRetryCount: Int?) async throws {
        try await onContainer(ref) { [self] in
            let c = try store.read { db in try ContainerQueries.resolve(db, ref) }
            guard let parsed = RestartPolicyName(request: name) else {
                throw BerthError.invalid("invalid restart policy: \(name)")
            }
            let policy = parsed.rawValue
            if parsed != .onFailure && (maximumRetryCount ?? 0) > 0 {
                throw BerthError.invalid("maximum retry count cannot be used with restart policy '\(policy)'")
            }
            if c.autoRemove && policy != "no" {
                throw BerthError.conflict("Restart policy cannot be updated because AutoRemove is enabled for the container")
            }
            var host = try JSONDecoder().decode(HostConfig.self, from: Data(c.hostConfigJSON.utf8))
            host.RestartPolicy = .init(Name: policy, MaximumRetryCount: maximumRetryCount ?? 0)
            let json = String(decoding: try JSONEncoder().encode(host), as: UTF8.self)
            try store.write { db in
                try ContainerStore.updateRestartPolicy(db, id: c.id, policy: policy, maximumRetryCount: maximumRetryCount ?? 0, hostConfigJSON: json)
                try event(db, c, "update")
            }
        }
    }
}

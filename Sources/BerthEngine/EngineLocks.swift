import BerthCore
import Dispatch
import Foundation
import Synchronization

/// The container engine's locks. Each container has its own serial queue: operations on one
/// container run one at a time, in the order they came; operations on different containers
/// run at once. A host-wide read/write lock sits above them: container operations hold it
/// shared, operations over the whole host (networks, volumes, batches, recovery) hold it
/// alone. What several containers share inside a container operation has its own narrow
/// lock or transaction: names and addresses are claimed in one SQLite transaction, host
/// ports under `ports`, netavark under its own file lock, a volume's copy-up under its name.
///
/// Every job is blocking work (runc, conmon, netavark, SQLite) on a Dispatch thread, never on
/// Swift's cooperative pool. A job never waits for another job, so no lock order can cycle.
public final class EngineLocks: Sendable {
    private struct Lane {
        let queue: DispatchQueue
        var users: Int
    }

    private let lanes = Mutex<[String: Lane]>([:])
    private let host = HostLock()
    private let hostQueue = DispatchQueue(label: "berth.engine.host")
    private let sharedQueue = DispatchQueue(label: "berth.engine.shared", attributes: .concurrent)
    /// Host ports chosen by starts not yet recorded as running.
    let ports = PortReservations()
    /// Per-name locks for work on one shared object (a volume's copy-up).
    let named = NamedLocks()

    public init() {}

    /// Alone on the host: no container operation runs meanwhile.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await submit(hostQueue, exclusive: true, body)
    }

    /// One container's operation: after that container's earlier ones, beside other containers'.
    public func container<T: Sendable>(_ id: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let queue = lanes.withLock { l -> DispatchQueue in
            if var lane = l[id] {
                lane.users += 1
                l[id] = lane
                return lane.queue
            }
            let q = DispatchQueue(label: "berth.engine.container")
            l[id] = Lane(queue: q, users: 1)
            return q
        }
        defer {
            lanes.withLock { l in
                guard var lane = l[id] else { return }
                lane.users -= 1
                if lane.users == 0 { l[id] = nil } else { l[id] = lane }
            }
        }
        return try await submit(queue, exclusive: false, body)
    }

    /// Work that touches no existing container (a create: its id is new), beside everything
    /// but host-wide operations.
    public func shared<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await submit(sharedQueue, exclusive: false, body)
    }

    /// Runs `body` on `q` holding the host lock (alone or shared).
    private func submit<T: Sendable>(
        _ q: DispatchQueue, exclusive: Bool, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { [host] (c: CheckedContinuation<T, any Error>) in
            q.async {
                if exclusive { host.lockExclusive() } else { host.lockShared() }
                defer { host.unlock() }
                do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
            }
        }
    }
}

/// A writer-preferring read/write lock (a host-wide operation waiting is not starved by a
/// stream of container operations).
final class HostLock: @unchecked Sendable {
    // @unchecked: the pthread lock is the synchronization; it is set up once and never moved.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attr = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attr)
        pthread_rwlockattr_setkind_np(&attr, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attr)
        pthread_rwlockattr_destroy(&attr)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func lockShared() { pthread_rwlock_rdlock(lock) }
    func lockExclusive() { pthread_rwlock_wrlock(lock) }
    func unlock() { pthread_rwlock_unlock(lock) }
}

/// Blocking locks by name, made on first use and dropped when nobody holds or waits.
final class NamedLocks: Sendable {
    private let locks = Mutex<[String: (lock: NSLock, users: Int)]>([:])

    func with<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let lock = locks.withLock { l -> NSLock in
            let entry = l[name] ?? (NSLock(), 0)
            l[name] = (entry.lock, entry.users + 1)
            return entry.lock
        }
        lock.lock()
        defer {
            lock.unlock()
            locks.withLock { l in
                guard let e = l[name] else { return }
                if e.users <= 1 { l[name] = nil } else { l[name] = (e.lock, e.users - 1) }
            }
        }
        return try body()
    }
}

/// Host ports picked by starts under way, so two concurrent starts never pick the same one
/// (the database lists a container's ports as held only once it runs).
final class PortReservations: Sendable {
    /// A host port as `NetworkStore.heldPorts` lists them.
    typealias Port = (hostIP: String, port: Int, proto: String)

    private let byContainer = Mutex<[String: [Port]]>([:])
    private let choosing = NSLock()

    /// Runs the choice alone, with the ports other starts reserved; what it returns is
    /// reserved for `id` until `release(id)`.
    func choose<T>(_ id: String, _ body: (_ reservedByOthers: [Port]) throws -> (T, [Port])) rethrows -> T {
        choosing.lock()
        defer { choosing.unlock() }
        let others = byContainer.withLock { m in m.filter { $0.key != id }.values.flatMap { $0 } }
        let (result, taken) = try body(others)
        byContainer.withLock { $0[id] = taken }
        return result
    }

    func release(_ id: String) { _ = byContainer.withLock { $0.removeValue(forKey: id) } }
}

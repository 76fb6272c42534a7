import Synchronization

/// The streaming responses in flight, so shutdown can end them.
final class StreamRegistry: Sendable {
    private struct State {
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var next: UInt64 = 0
        var cancelled = false
        /// Streams that ended before they were added.
        var finished: Set<UInt64> = []
    }
    private let state = Mutex(State())

    func reserve() -> UInt64 {
        state.withLock { s in
            s.next += 1
            return s.next
        }
    }

    func add(_ key: UInt64, _ task: Task<Void, Never>) {
        let late = state.withLock { s in
            if s.finished.remove(key) == nil && !s.cancelled { s.tasks[key] = task }
            return s.cancelled
        }
        if late { task.cancel() }
    }

    func remove(_ key: UInt64) {
        state.withLock { s in
            if s.tasks.removeValue(forKey: key) == nil { s.finished.insert(key) }
        }
    }

    func cancelAll() {
        let all = state.withLock { s in
            s.cancelled = true
            defer { s.tasks = [:] }
            return Array(s.tasks.values)
        }
        for t in all { t.cancel() }
    }
}

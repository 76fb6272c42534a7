import BerthCore
import Foundation
import Synchronization

/// A JSON-lines answer whose work may still fail before its first line: the caller waits until
/// the first line (or the end) before answering, so an early failure is an HTTP error status and
/// a later one is an `error` line in a 200 stream — as Docker's pull and push answer.
final class ProgressStream: Sendable {
    private struct State {
        var opened = false
        var failure: (any Error)?
        var waiter: CheckedContinuation<Void, any Error>?
        var done = false
        /// The work producing the lines, cancelled when the client stops reading.
        var work: Task<Void, Never>?
        var abandoned = false
    }
    private let state = Mutex(State())
    let stream: AsyncThrowingStream<Data, any Error>
    private let cont: AsyncThrowingStream<Data, any Error>.Continuation

    init() {
        (stream, cont) = AsyncThrowingStream<Data, any Error>.makeStream()
        cont.onTermination = { [weak self] end in
            guard case .cancelled = end else { return }
            self?.abandon()
        }
    }

    /// The work stops when `connection` ends, also before the stream's first line (a pull
    /// waiting on a slow registry's manifest).
    func stop(when connection: ConnectionEnd?) {
        connection?.onEnd { [weak self] in self?.abandon() }
    }

    /// The client stopped reading (it went away): the work is cancelled.
    private func abandon() {
        let work = state.withLock { s in
            s.abandoned = true
            return s.work
        }
        work?.cancel()
    }

    /// Runs the work producing the stream in a task of its own, cancelled when the client goes
    /// away (a pull stops downloading, a build stops at its next step).
    func run(_ work: @escaping @Sendable () async -> Void) {
        let task = Task { await work() }
        let gone = state.withLock { s in
            s.work = task
            return s.abandoned
        }
        if gone { task.cancel() }
    }

    /// One message line.
    func send(_ obj: [String: Any]) {
        guard let d = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        cont.yield(d + Data("\r\n".utf8))
        open()
    }

    /// The work ended: with an error line (Docker's `errorDetail`, with `code` when given) if the
    /// stream had begun, else the caller's error.
    func finish(_ error: (any Error)? = nil, code: Int? = nil) {
        let (opened, w) = state.withLock { s -> (Bool, CheckedContinuation<Void, any Error>?) in
            s.done = true
            if !s.opened { s.failure = error }
            defer { s.waiter = nil }
            return (s.opened, s.waiter)
        }
        if let error, opened {
            let message = BerthError.from(error).message
            var detail: [String: Any] = ["message": message]
            if let code { detail["code"] = code }
            send(["errorDetail": detail, "error": message])
        }
        cont.finish()
        if let error, !opened { w?.resume(throwing: error) } else { w?.resume() }
    }

    /// Starts the stream now, before any line (a build answers 200 whatever happens next).
    func begin() { open() }

    private func open() {
        let w = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            guard !s.opened else { return nil }
            s.opened = true
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume()
    }

    /// Returns once the first line is out (or the work ended); throws an error from before it.
    func ready() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let now = state.withLock { s -> Result<Void, any Error>? in
                if s.opened { return .success(()) }
                if s.done { return s.failure.map { .failure($0) } ?? .success(()) }
                s.waiter = c
                return nil
            }
            if let now { c.resume(with: now) }
        }
    }

    var response: APIResponse {
        APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(stream))
    }
}

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
    }
    private let state = Mutex(State())
    let stream: AsyncThrowingStream<Data, any Error>
    private let cont: AsyncThrowingStream<Data, any Error>.Continuation

    init() { (stream, cont) = AsyncThrowingStream<Data, any Error>.makeStream() }

    /// Runs the work producing the stream in a task of its own, cancelled when `connection`
    /// ends, before the first line too (a pull stops downloading, also while a slow registry
    /// holds the manifest; a build stops at its next step).
    func run(until connection: ConnectionEnd?, _ work: @escaping @Sendable () async -> Void) {
        let task = Task { await work() }
        guard let connection else { return }
        let token = connection.onEnd { task.cancel() }
        Task {
            await task.value
            connection.forget(token)
        }
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

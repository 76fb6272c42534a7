import BerthCore
import Dispatch

/// Runs blocking work one job at a time on its own thread, so file and database work never
/// ties up Swift's cooperative pool and mutations of one store never interleave.
public final class SerialWorker: Sendable {
    let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            queue.async {
                do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
            }
        }
    }
}

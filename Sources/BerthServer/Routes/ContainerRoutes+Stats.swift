import BerthAPI
import BerthCore
import BerthEngine
import Foundation

extension EngineRouter {
    /// GET /containers/{id}/stats: one sample (`one-shot`), two a second apart so CPU use can
    /// be computed (`stream=false`, what `docker stats --no-stream` and docker-py's
    /// `stats(stream=False)` ask), or one a second until the container stops or the client goes.
    func stats(_ ref: String, _ r: APIRequest) async throws -> APIResponse {
        let containers = self.containers
        let first = try containers.stats(ref)
        let stream = r.flag("stream", default: true)
        if r.flag("one-shot") && !stream { return try .json(first) }
        if !stream {
            try await Task.sleep(nanoseconds: 1_000_000_000)
            return try .json(try containers.stats(ref, previous: first))
        }
        let id = first.id
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let body = AsyncThrowingStream<Data, any Error> { cont in
            let task = Task {
                var last = first
                do {
                    cont.yield(try encoder.encode(last) + Data([0x0a]))
                    while !Task.isCancelled {
                        try await Task.sleep(nanoseconds: 1_000_000_000)
                        let next = try containers.stats(id, previous: last)
                        cont.yield(try encoder.encode(next) + Data([0x0a]))
                        last = next
                        if next.pids_stats.current == nil { break }  // stopped: Docker ends the stream
                    }
                } catch {}
                cont.finish()
            }
            cont.onTermination = { _ in task.cancel() }
        }
        return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(body))
    }
}

import BerthAPI
import BerthCore
import BerthEngine
import BerthRuntime
import BerthStore
import Foundation

extension EngineRouter {
    /// Logs as Docker's multiplexed stream (8-byte header: stream, 0, 0, 0, big-endian length).
    func logs(_ ref: String, _ r: APIRequest) throws -> APIResponse {
        let c = try store.read { db in try ContainerQueries.resolve(db, ref) }
        try c.checkLogsReadable()
        let wantOut = r.query("stdout") == nil || r.flag("stdout")
        let wantErr = r.query("stderr") == nil || r.flag("stderr")
        let follow = r.flag("follow")
        let timestamps = r.flag("timestamps")
        let since = try r.query("since").flatMap { s -> Int64? in
            guard !s.isEmpty, s != "0" else { return nil }
            guard let t = Clock.parseTimestamp(s) else { throw BerthError.invalid("invalid value for \"since\": \(s)") }
            return t
        }
        let until = try r.query("until").flatMap { s -> Int64? in
            guard !s.isEmpty, s != "0" else { return nil }
            guard let t = Clock.parseTimestamp(s) else { throw BerthError.invalid("invalid value for \"until\": \(s)") }
            return t
        }
        let tail = r.query("tail").flatMap { Int($0) }
        let reader = LogReader(dir: paths.containers + "/" + c.id)
        let store = self.store
        let id = c.id
        let containers = self.containers
        let wanted = LogFrames.Options(stdout: wantOut, stderr: wantErr, since: since, until: until, timestamps: timestamps)
        func frames(_ lines: [LogLine]) -> Data { LogFrames.encode(lines, wanted) }
        if let tail, tail >= 0 { reader.seekToTail(tail) }
        // Registered before the first read: the exit wakes the follower at once.
        let exited = follow ? containers.exitTicket(id) : nil
        let cursor = LogCursor()
        // Pulled, not pushed: the next chunk is read only once the last one was sent, so a
        // 500 MB log goes through one megabyte at a time.
        let stream = AsyncThrowingStream<Data, any Error> {
            while !cursor.done {
                let lines = reader.next()
                if !lines.isEmpty {
                    cursor.idle = 0
                    return frames(lines)
                }
                // Everything there is was read: follow a running container (and a created one
                // about to start, for a foreground run) until it exits, is removed or fails.
                if follow && !Task.isCancelled {
                    let c = try? store.read { db in try ContainerQueries.get(db, id: id) }
                    let alive = c.map { $0.isRunning || ($0.state == .created && $0.error == nil) } ?? false
                    if alive {
                        // New output is polled; the exit ends the wait early. A writer that just
                        // wrote is looked at again within a millisecond (at 100 MB/s a 1 MB cap
                        // in 3 files turns over in 30 ms), an idle one every 50 ms.
                        cursor.idle = min(cursor.idle + 1, 50)
                        _ = await exited?.wait(timeoutNanos: UInt64(cursor.idle) * 1_000_000)
                        continue
                    }
                    let last = reader.next()
                    if !last.isEmpty { return frames(last) }
                }
                cursor.done = true
                let rest = frames(reader.flushPending())
                return rest.isEmpty ? nil : rest
            }
            return nil
        }
        return APIResponse(
            status: 200, headers: [("Content-Type", "application/vnd.docker.multiplexed-stream")],
            body: .stream(stream))
    }

    /// Where a pulled log stream is (one consumer reads it, one chunk at a time).
    final class LogCursor: @unchecked Sendable {
        // @unchecked: the stream's unfolding closure is called by one iterator, never at once.
        var done = false
        /// Milliseconds to wait for new output: 1 after output, one more per empty look, to 50.
        var idle = 0
    }
}

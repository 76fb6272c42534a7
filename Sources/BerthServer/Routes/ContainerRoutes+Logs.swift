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
        let reader = LogReader(paths: LogFiles.paths(dir: paths.containers + "/" + c.id))
        let store = self.store
        let id = c.id
        let containers = self.containers
        func frames(_ lines: [LogLine]) -> Data {
            var out = Data()
            for l in lines {
                if l.stream == .stdout && !wantOut || l.stream == .stderr && !wantErr { continue }
                if let since, l.time < since { continue }
                if let until, l.time > until { continue }
                var payload = Data()
                if timestamps { payload.append(contentsOf: Array((Clock.rfc3339Nano(l.time, trimZeros: false) + " ").utf8)) }
                payload.append(l.text)
                let n = UInt32(payload.count)
                out.append(contentsOf: [l.stream.rawValue, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)])
                out.append(payload)
            }
            return out
        }
        if let tail, tail >= 0 { reader.seekToTail(tail) }
        // Registered before the first read: the exit wakes the follower at once.
        let exited = follow ? containers.exitTicket(id) : nil
        let cursor = LogCursor()
        // Pulled, not pushed: the next chunk is read only once the last one was sent, so a
        // 500 MB log goes through one megabyte at a time.
        let stream = AsyncThrowingStream<Data, any Error> {
            while !cursor.done {
                let lines = reader.next()
                if !lines.isEmpty { return frames(lines) }
                // Everything there is was read: follow a running container (and a created one
                // about to start, for a foreground run) until it exits, is removed or fails.
                if follow && !Task.isCancelled {
                    let c = try? store.read { db in try ContainerQueries.get(db, id: id) }
                    let alive = c.map { $0.isRunning || ($0.state == .created && $0.error == nil) } ?? false
                    if alive {
                        // New output is polled; the exit ends the wait early.
                        _ = await exited?.wait(timeoutNanos: 50_000_000)
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
    }
}

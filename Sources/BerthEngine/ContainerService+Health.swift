import BerthAPI
import BerthCore
import BerthImage
import BerthRuntime
import BerthStore
import Foundation
import Synchronization

/// Docker's State.Health.
public struct HealthState: Codable, Sendable, Equatable {
    public struct Probe: Codable, Sendable, Equatable {
        public var Start: String
        public var End: String
        public var ExitCode: Int
        public var Output: String
    }
    public var Status: String
    public var FailingStreak: Int
    public var Log: [Probe]
}

/// The probe loops of running containers, one task each.
final class HealthMonitors: Sendable {
    private let tasks = Mutex<[String: Task<Void, Never>]>([:])

    func replace(_ id: String, _ task: Task<Void, Never>?) {
        tasks.withLock { t in
            defer { if let task { t[id] = task } }
            return t.removeValue(forKey: id)
        }?.cancel()
    }
}

extension ContainerService {
    static let defaultHealthInterval: Int64 = 30_000_000_000
    static let defaultHealthTimeout: Int64 = 30_000_000_000
    static let defaultHealthRetries = 3

    /// The command a health check runs, or nil for none (`NONE`, or no test at all).
    static func healthCommand(_ h: HealthConfig?) -> [String]? {
        guard let test = h?.Test, let kind = test.first else { return nil }
        switch kind {
        case "CMD": return test.count > 1 ? Array(test.dropFirst()) : nil
        case "CMD-SHELL": return test.count > 1 ? ["/bin/sh", "-c", test.dropFirst().joined(separator: " ")] : nil
        default: return nil
        }
    }

    /// Starts probing a container that just started (or was re-adopted).
    func startHealthMonitor(_ id: String) {
        guard let c = try? get(id), c.state == .running,
            let req = try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8)),
            let cmd = Self.healthCommand(req.Healthcheck)
        else { return }
        let h = req.Healthcheck!
        let interval = (h.Interval ?? 0) > 0 ? h.Interval! : Self.defaultHealthInterval
        let timeout = (h.Timeout ?? 0) > 0 ? h.Timeout! : Self.defaultHealthTimeout
        let retries = (h.Retries ?? 0) > 0 ? h.Retries! : Self.defaultHealthRetries
        let startPeriod = max(0, h.StartPeriod ?? 0)
        let startedAt = c.startedAt ?? Clock.nowNanos()
        let task = Task.detached { [self] in
            var state =
                (try? store.read { db in
                    try ContainerStore.healthJSON(db, id: id)
                }).flatMap { $0 }.flatMap { try? JSONDecoder().decode(HealthState.self, from: Data($0.utf8)) }
                ?? HealthState(Status: "starting", FailingStreak: 0, Log: [])
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: Checked.sleepNanos(interval))
                if Task.isCancelled { return }
                guard let now = try? get(id) else { return }
                if now.state == .paused { continue }
                guard now.state == .running, now.startedAt == c.startedAt else { return }
                let begin = Clock.nowNanos()
                let (code, output) = (try? await offload { [self] in try probe(id, cmd, timeout: timeout) }) ?? (-1, "health check could not run")
                let end = Clock.nowNanos()
                let before = state.Status
                if code == 0 {
                    state.Status = "healthy"
                    state.FailingStreak = 0
                } else if Checked.saturatingSubtract(end, startedAt) >= startPeriod {
                    // Failures in the start period do not count (Docker's rule).
                    state.FailingStreak += 1
                    if state.FailingStreak >= retries { state.Status = "unhealthy" }
                }
                state.Log.append(
                    .init(
                        Start: Clock.rfc3339Nano(begin), End: Clock.rfc3339Nano(end), ExitCode: Int(code),
                        Output: String(output.prefix(4096))))
                if state.Log.count > 5 { state.Log.removeFirst(state.Log.count - 5) }
                let json = String(decoding: (try? JSONEncoder().encode(state)) ?? Data(), as: UTF8.self)
                let snapshot = state
                try? store.write { db in
                    try ContainerStore.recordHealth(db, id: id, status: snapshot.Status, json: json)
                    if snapshot.Status != before {
                        try event(db, now, "health_status: " + snapshot.Status)
                    }
                }
            }
        }
        healthMonitors.replace(id, task)
    }

    func stopHealthMonitor(_ id: String) {
        healthMonitors.replace(id, nil)
    }

    /// One probe: the command run by `runc exec` under conmon (no attach; its output is read
    /// from the exec's log), killed when it overruns `timeout`.
    func probe(_ id: String, _ cmd: [String], timeout: Int64) throws -> (Int32, String) {
        let execFiles = Conmon.ExecFiles(dir: runDir(id) + "/exec/health-" + Identifier.random().prefix(12))
        try FileOps.makeDirs(execFiles.dir, mode: 0o700)
        defer { FileOps.removeTree(execFiles.dir) }
        try writeExecProcess(id, execFiles) { p in
            p.terminal = false
            p.args = cmd
        }
        let process = try conmon.exec(
            containerID: id, execID: "health", files: execFiles, terminal: false,
            stdin: false, attach: false)
        let pid: Int32
        do { pid = try process.start() } catch {
            return (127, BerthError.from(error).message)
        }
        guard let code = process.waitExit(timeoutMs: Int32(min(Int64(Int32.max), timeout / 1_000_000))) else {
            Glibc.kill(pid, SIGKILL)
            _ = process.waitExit(timeoutMs: 5000)
            return (-1, "Health check exceeded timeout (\(Human.duration(nanos: timeout)))")
        }
        let reader = LogReader(path: execFiles.log)
        var out = Data()
        for l in reader.next() + reader.flushPending() { out.append(l.text) }
        return (code, String(decoding: out.prefix(4096), as: UTF8.self))
    }
}

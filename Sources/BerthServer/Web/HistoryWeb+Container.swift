import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation
import Mustache

extension HistoryWeb {
    /// Lines of the log shown on a container's page.
    static let logLines = 50

    /// `/container/ID`: config, ports, mounts, every run, the last log lines.
    func container(_ id: String) throws -> APIResponse {
        guard let life = try store.read({ db in try ContainerLife.one(db, id: id) }) else {
            return Self.page(404, "No container \(id) in history.")
        }
        let now = Clock.nowNanos()
        let config = try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(life.configJSON.utf8))
        let host = try? JSONDecoder().decode(HostConfig.self, from: Data(life.hostConfigJSON.utf8))
        var logs: [String] = []
        var logNote: String?
        if life.state == "removed" {
            logNote = "Its logs went with it."
        } else if host?.LogConfig?.Type == "none" {
            logNote = "Its log driver keeps nothing to read."
        } else {
            let reader = LogReader(dir: containersDir + "/" + id)
            reader.seekToTail(Self.logLines)
            var lines: [LogLine] = []
            while true {
                let next = reader.next()
                if next.isEmpty { break }
                lines += next
                if lines.count > 4 * Self.logLines { lines.removeFirst(lines.count - Self.logLines) }
            }
            lines += reader.flushPending()
            logs = lines.suffix(Self.logLines).map { l in
                Self.stamp(l.time) + (l.stream == .stderr ? " err " : " out ")
                    + String(decoding: l.text, as: UTF8.self).trimmingCharacters(in: .newlines)
            }
            if logs.isEmpty { logNote = "No output yet." }
        }
        var policy = host?.RestartPolicy?.Name ?? ""
        if policy.isEmpty { policy = "no" }
        if let n = host?.RestartPolicy?.MaximumRetryCount, n > 0 { policy += ":\(n)" }
        let env = (config?.Env ?? []).map { String($0.prefix { $0 != "=" }) }.joined(separator: " ")
        let labels = (config?.Labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let mounts = life.mounts.map { m in "\(m.type) \(m.volume ?? m.source ?? "") → \(m.destination)" }
        let runs = life.runs.enumerated().map { i, r -> [String: String] in
            [
                "n": String(i + 1), "started": Self.stamp(r.startedAt), "finished": r.finishedAt.map(Self.stamp) ?? "running",
                "code": r.exitCode.map(String.init) ?? "", "ranFor": Human.duration(nanos: (r.finishedAt ?? now) - r.startedAt),
                "ended": r.finishedAt == nil ? "" : (r.endReason ?? "exited"), "oom": r.oomKilled ? "yes" : "",
            ]
        }
        var model: [String: Any] = [
            "title": life.name + " · berth history", "host": HostName.current, "generated": Self.stamp(now),
            "id": life.id, "name": life.name, "state": life.state, "image": life.image, "command": life.command,
            "created": Self.stamp(life.createdAt),
            "restart": policy, "workdir": config?.WorkingDir ?? "", "user": config?.User ?? "",
            "env": env, "labels": labels, "ports": life.ports, "mounts": mounts,
            "runCount": String(life.runs.count), "runs": runs,
            "logs": logs,
        ]
        // Absent, not nil: Mustache would print a nil.
        if let removed = life.removedAt { model["removed"] = Self.stamp(removed) }
        if let logNote { model["logNote"] = logNote }
        return Self.html(200, WebTemplates.library.render(model, withTemplate: "container") ?? "")
    }
}

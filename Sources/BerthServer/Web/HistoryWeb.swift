import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation
import Mustache

/// `berthd --web-addr`: a small read-only page of the host's history, rendered on the server
/// from SQLite (`/`: every container with a timeline of its runs, and the `ps -a --at` view of a
/// chosen moment; `/container/ID`: one container's config, runs and last log lines).
public struct HistoryWeb: APIHandler {
    let store: Store
    let containersDir: String
    /// Containers shown on the timeline, most recently active first.
    let limit: Int

    public init(store: Store, containersDir: String, limit: Int = 300) {
        self.store = store
        self.containersDir = containersDir
        self.limit = limit
    }

    public func handle(_ r: APIRequest) async -> APIResponse {
        guard r.method == "GET" || r.method == "HEAD" else { return Self.page(405, "Only GET is served here.") }
        do {
            if r.path == "/" { return try index(r) }
            let parts = r.path.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 3, parts[1] == "container", parts[2].count == 64, parts[2].allSatisfy(\.isHexDigit) {
                return try container(String(parts[2]))
            }
            return Self.page(404, "No such page: \(r.path)")
        } catch {
            return Self.page(500, BerthError.from(error).message)
        }
    }

    static func page(_ status: Int, _ message: String) -> APIResponse {
        let head = WebTemplates.library.render(
            ["title": "berth history", "host": HostName.current, "generated": stamp(Clock.nowNanos())], withTemplate: "head") ?? ""
        return html(status, head + "<main><p class=\"err\">" + escape(message) + "</p></main></body></html>")
    }

    static func html(_ status: Int, _ text: String) -> APIResponse {
        APIResponse(
            status: status,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                // Nothing but this page's own inline style and script; no frames, no other origin.
                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
                ("X-Content-Type-Options", "nosniff"),
            ], body: .data(Data(text.utf8)))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func stamp(_ t: Int64) -> String {
        Clock.rfc3339Seconds(t)
    }

    /// `/` and `/?at=TIME`.
    func index(_ r: APIRequest) throws -> APIResponse {
        let now = Clock.nowNanos()
        var at: Int64?
        var atError: String?
        let atText = (r.query("at") ?? "").trimmingCharacters(in: .whitespaces)
        if !atText.isEmpty {
            if let t = Clock.parseTimestamp(atText, now: now) {
                if t > now { atError = "\(atText) is in the future; history goes up to now." } else { at = t }
            } else {
                atError = "\(atText) is not a time: use RFC 3339 (2026-12-01T03:00:00Z), Unix seconds, or a duration such as 2h."
            }
        }
        let (lives, first, atRows, atPorts) = try store.read { db in
            var q = ContainerListQuery(all: true)
            q.at = at.map(HostAt.init(time:))
            let rows = at == nil ? [] : try q.run(db) { try ImageResolver.imageIDs(db, $0) }
            let running = rows.filter { $0.state.isRunning }.map(\.id)
            return (
                try ContainerLife.recent(db, limit: limit), try HostAt.firstMoment(db), rows,
                try q.at?.portsText(db, running: running) ?? [:]
            )
        }
        let start = min(first ?? now, at ?? now)
        let span = Double(max(1, now - start))
        func percent(_ t: Int64) -> String { String(format: "%.3f", Double(t - start) / span * 100) }
        var model: [String: Any] = [
            "title": "berth history", "host": HostName.current, "generated": Self.stamp(now),
            "sliderMin": String(start / 1_000_000_000), "sliderMax": String(now / 1_000_000_000),
            "sliderValue": String((at ?? now) / 1_000_000_000), "atText": atText,
            "atShown": at != nil, "atTime": at.map(Self.stamp) ?? "",
            "atCount": String(atRows.count),
            "atRows": atRows.map { c -> [String: String] in
                [
                    "id": c.id, "short": String(c.id.prefix(12)), "name": c.name, "state": c.state.rawValue,
                    "status": ContainerSummary.status(c, now: at ?? now), "image": c.imageRef, "ports": atPorts[c.id] ?? "",
                ]
            },
            "count": String(lives.count), "from": Self.stamp(start), "to": Self.stamp(now),
            "lives": lives.map { life -> [String: Any] in
                var row: [String: Any] = [
                    "id": life.id, "name": life.name, "image": life.image, "state": life.state, "runCount": String(life.runs.count),
                    "bars": life.runs.map { run -> [String: String] in
                        let end = run.finishedAt ?? (life.removedAt ?? now)
                        return [
                            "left": percent(run.startedAt),
                            "width": String(format: "%.3f", max(0.2, Double(end - run.startedAt) / span * 100)),
                            "cls": Self.runClass(run), "title": Self.runTitle(run, now: now),
                        ]
                    },
                ]
                // Absent, not nil: Mustache would print a nil.
                if let at { row["marker"] = percent(at) }
                return row
            },
        ]
        if let atError { model["atError"] = atError }
        return Self.html(200, WebTemplates.library.render(model, withTemplate: "index") ?? "")
    }

    static func runClass(_ r: RunRecord) -> String {
        guard r.finishedAt != nil else { return "running" }
        if r.oomKilled || r.endReason == "oom" { return "oom" }
        if r.endReason == "user-stop" { return "stopped" }
        return (r.exitCode ?? 0) == 0 ? "exited" : "crash"
    }

    static func runTitle(_ r: RunRecord, now: Int64) -> String {
        let end = r.finishedAt.map { "ended \(stamp($0)), exit code \(r.exitCode ?? 0), \(r.endReason ?? "exited")" } ?? "running"
        return "started \(stamp(r.startedAt)), \(end), ran \(Human.duration(nanos: (r.finishedAt ?? now) - r.startedAt))"
            + (r.oomKilled ? ", OOM-killed" : "")
    }
}

/// The machine's name, for the page's header.
enum HostName {
    static let current: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
        return String(cString: buf)
    }()
}

import BerthCore
import Foundation
import GRDB

/// One difference between two moments (`events --diff`).
public struct HostChange: Sendable, Equatable, Codable {
    /// container, image, network, volume.
    public var type: String
    public var id: String
    public var name: String
    /// created, removed, recreated, started, stopped, died, restarted, restarting, paused,
    /// unpaused, renamed; for images pulled, built, loaded, tagged, untagged, deleted; for
    /// networks and volumes created, removed.
    public var change: String
    public var before: String
    public var after: String
    public var detail: String
    /// When it happened (the last event of it), Unix nanoseconds.
    public var time: Int64
}

/// What changed on the host between two moments: the two `HostAt` views compared container by
/// container, the runs between them (restarts, how runs ended) and the image, network and
/// volume events between them.
public struct HostDiff: Sendable {
    public let from: Int64
    public let to: Int64

    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }

    struct Then {
        var state: String
        var name: String
        var image: String
        var exitCode: Int64?
    }

    static func view(_ tx: StoreTransaction, _ t: Int64) throws -> [String: Then] {
        let at = HostAt(time: t)
        var out: [String: Then] = [:]
        for r in try Row.fetchAll(
            tx.db, sql: at.prefix + "SELECT id, name, image_ref, state, exit_code FROM containers", arguments: at.arguments([]))
        {
            out[r[0]] = Then(state: r[3], name: r[1], image: r[2], exitCode: r[4])
        }
        return out
    }

    /// A run's end in words: how `die`, `stop` and OOM read in a change line.
    static func ending(_ reason: String?, code: Int64?) -> (change: String, detail: String) {
        let exit = code.map { "exit code \($0)" } ?? "exit code unknown"
        switch reason {
        case "user-stop": return ("stopped", exit + ", stopped by a user")
        case "oom": return ("died", exit + ", killed for lack of memory (OOM)")
        case "reboot": return ("died", exit + ", host rebooted")
        case "monitor-lost": return ("died", exit + ", its monitor was lost")
        case "crash": return ("died", exit + ", crashed")
        default: return ("died", exit)
        }
    }

    /// The changes, oldest first.
    public func run(_ tx: StoreTransaction) throws -> [HostChange] {
        guard from <= to else { throw BerthError.invalid("--diff: the first time must not be after the second") }
        let before = try Self.view(tx, from), after = try Self.view(tx, to)
        // Runs that started, or ended, between the moments: restarts and how the last one ended.
        struct Runs { var starts = 0; var restarts = 0; var lastEnd: (reason: String?, code: Int64?, at: Int64)?; var lastStart: Int64 = 0 }
        var runs: [String: Runs] = [:]
        var names: [String: String] = [:]
        // A run its restart policy began carries a restart count one above the run before it.
        for r in try Row.fetchAll(
            tx.db,
            sql: """
                WITH touched AS (SELECT DISTINCT container_id FROM runs
                                 WHERE (started_at > ?1 AND started_at <= ?2) OR (finished_at > ?1 AND finished_at <= ?2)),
                numbered AS (
                  SELECT r.container_id, r.container_name, r.started_at, r.finished_at, r.exit_code, r.end_reason, r.id,
                         coalesce(r.restart_count, 0) > coalesce(lag(r.restart_count) OVER w, 0) AS by_policy
                  FROM runs r WHERE r.container_id IN (SELECT container_id FROM touched)
                  WINDOW w AS (PARTITION BY r.container_id ORDER BY r.started_at, r.id))
                SELECT container_id, container_name, started_at, finished_at, exit_code, end_reason, by_policy FROM numbered
                WHERE (started_at > ?1 AND started_at <= ?2) OR (finished_at > ?1 AND finished_at <= ?2) ORDER BY started_at, id
                """, arguments: [from, to])
        {
            let id: String = r[0], started: Int64 = r[2], finished: Int64? = r[3]
            var x = runs[id] ?? Runs()
            names[id] = r[1]
            if started > from && started <= to {
                x.starts += 1
                x.lastStart = started
                if r[6] as Bool { x.restarts += 1 }
            }
            if let finished, finished > from && finished <= to { x.lastEnd = (r[5], r[4], finished) }
            runs[id] = x
        }
        // Containers that came and went between the moments exist in neither view.
        var lifetimes: [String: (created: Int64?, removed: Int64?, name: String, image: String)] = [:]
        for r in try Row.fetchAll(
            tx.db,
            sql: """
                SELECT actor_id, action, time_ns, coalesce(actor_name, ''), coalesce(json_extract(attributes, '$.image'), '') FROM events
                WHERE type = 'container' AND action IN ('create', 'destroy') AND time_ns > ?1 AND time_ns <= ?2 ORDER BY time_ns
                """, arguments: [from, to])
        {
            var l = lifetimes[r[0]] ?? (nil, nil, r[3], r[4])
            if (r[1] as String) == "create" { l.created = r[2] } else { l.removed = r[2] }
            if !(r[4] as String).isEmpty { l.image = r[4] }
            lifetimes[r[0]] = l
        }
        var out: [HostChange] = []
        func add(_ id: String, _ name: String, _ change: String, _ b: String, _ a: String, _ detail: String, _ t: Int64) {
            out.append(HostChange(type: "container", id: id, name: name, change: change, before: b, after: a, detail: detail, time: t))
        }
        func describe(_ t: Then) -> String {
            t.state == "exited" ? "exited (\(t.exitCode ?? 0))" : t.state
        }
        let ids = Set(before.keys).union(after.keys).union(lifetimes.keys).union(runs.keys)
        for id in ids {
            let b = before[id], a = after[id], r = runs[id], life = lifetimes[id]
            let name = a?.name ?? b?.name ?? life?.name ?? names[id] ?? id
            let when = max(life?.removed ?? 0, life?.created ?? 0, r?.lastEnd?.at ?? 0, r?.lastStart ?? 0, to > from ? from + 1 : from)
            switch (b, a) {
            case (nil, nil):
                guard let life, life.created != nil || life.removed != nil else { continue }
                var detail = "image " + life.image
                if let r { detail += ", \(r.starts) run\(r.starts == 1 ? "" : "s")" }
                add(id, name, "created and removed", "-", "-", detail, when)
            case (nil, let a?):
                var detail = "image " + a.image
                if let r, r.starts > 0 { detail += ", \(r.starts) run\(r.starts == 1 ? "" : "s")" }
                if let end = r?.lastEnd, a.state == "exited" { detail += ", last: " + Self.ending(end.reason, code: end.code).detail }
                add(id, name, "created", "-", describe(a), detail, life?.created ?? when)
            case (let b?, nil):
                var detail = "image " + b.image
                if let end = r?.lastEnd { detail += ", last run: " + Self.ending(end.reason, code: end.code).detail }
                add(id, name, "removed", describe(b), "-", detail, life?.removed ?? when)
            case (let b?, let a?):
                if b.name != a.name { add(id, a.name, "renamed", b.name, a.name, "", when) }
                let restarts = r?.restarts ?? 0
                if b.state != a.state || (b.state == "exited" && a.state == "exited" && (r?.starts ?? 0) > 0) {
                    var change: String
                    var detail = ""
                    switch a.state {
                    case "running":
                        change = b.state == "paused" ? "unpaused" : restarts > 0 ? "restarted" : "started"
                    case "paused": change = "paused"
                    case "restarting": change = "restarting"
                        if let end = r?.lastEnd { detail = Self.ending(end.reason, code: end.code).detail }
                    default:
                        let end = r?.lastEnd.map { Self.ending($0.reason, code: $0.code) } ?? (change: "died", detail: "exit code \(a.exitCode ?? 0)")
                        change = end.change
                        detail = end.detail
                    }
                    if restarts > 0 { detail += (detail.isEmpty ? "" : ", ") + "restarted \(restarts) time\(restarts == 1 ? "" : "s")" }
                    add(id, a.name, change, describe(b), describe(a), detail, when)
                } else if restarts > 0 || (r?.starts ?? 0) > 0 {
                    let n = max(restarts, r?.starts ?? 0)
                    add(id, a.name, "restarted", describe(b), describe(a), "restarted \(n) time\(n == 1 ? "" : "s")", when)
                }
            }
        }
        out = Self.pairRecreated(out)
        out += try objectChanges(tx)
        return out.sorted { ($0.time, $0.type, $0.name) < ($1.time, $1.type, $1.name) }
    }

    /// A name removed and created again between the moments is one change: recreated (image
    /// before and after).
    static func pairRecreated(_ changes: [HostChange]) -> [HostChange] {
        var out = changes
        for (i, c) in changes.enumerated() where c.change == "removed" {
            guard let j = out.firstIndex(where: { $0.change == "created" && $0.name == c.name }) else { continue }
            let created = out[j]
            let imageBefore = c.detail.components(separatedBy: ",")[0].replacingOccurrences(of: "image ", with: "")
            let imageAfter = created.detail.components(separatedBy: ",")[0].replacingOccurrences(of: "image ", with: "")
            out[j] = HostChange(
                type: "container", id: created.id, name: c.name,
                change: imageBefore == imageAfter ? "recreated" : "recreated, image changed",
                before: imageBefore, after: imageAfter,
                detail: "was \(c.id.prefix(12)) (\(c.before)), now \(created.id.prefix(12)) (\(created.after))", time: created.time)
            out[i].change = ""
        }
        return out.filter { !$0.change.isEmpty }
    }

    /// Images, networks and volumes made or removed between the moments (their events).
    func objectChanges(_ tx: StoreTransaction) throws -> [HostChange] {
        let verbs: [String: [String: String]] = [
            "image": ["pull": "pulled", "build": "built", "load": "loaded", "import": "imported", "tag": "tagged", "untag": "untagged",
                      "delete": "deleted", "commit": "committed", "push": "pushed"],
            "network": ["create": "created", "destroy": "removed"],
            "volume": ["create": "created", "destroy": "removed"],
        ]
        var out: [HostChange] = []
        for r in try Row.fetchAll(
            tx.db,
            sql: """
                SELECT type, action, actor_id, coalesce(actor_name, json_extract(attributes, '$.name'), ''), time_ns FROM events
                WHERE type IN ('image', 'network', 'volume') AND time_ns > ?1 AND time_ns <= ?2 ORDER BY time_ns, id
                """, arguments: [from, to])
        {
            let type: String = r[0], action: String = r[1]
            guard let change = verbs[type]?[action] else { continue }
            out.append(HostChange(type: type, id: r[2], name: r[3], change: change, before: "", after: "", detail: "", time: r[4]))
        }
        return out
    }
}

import BerthCore
import Foundation
import GRDB

/// Restart storms and crash loops per container (`container history --summary`), from its runs.
public struct RunSummary: Sendable, Equatable, Codable {
    public var containerID: String
    /// Its name now, or when it was removed.
    public var name: String
    /// running, exited, … now; `removed` when it is gone.
    public var state: String
    public var runs: Int
    /// Runs its restart policy began, in the hour and the day before now.
    public var restartsLastHour: Int
    public var restartsLastDay: Int
    /// Longest and shortest run (a run still going counts up to now), nanoseconds.
    public var longest: Int64
    public var shortest: Int64
    /// Ended runs by exit code and by how they ended (crash, oom, user-stop, exited, reboot…).
    public var exitCodes: [Int64: Int]
    public var endReasons: [String: Int]
    public var lastOOM: Int64?
    /// `crashLoopRuns` or more runs ending with a non-zero code within `crashLoopWindow`.
    public var crashLoop: Bool
    public var lastStart: Int64

    /// The crash loop rule: 3 failed runs whose ends fall within 10 minutes.
    public static let crashLoopRuns = 3
    public static let crashLoopWindow: Int64 = 600 * 1_000_000_000

    /// Worst first: crash loops, then restarts in the last hour, the last day, failed runs, runs.
    public static func worstFirst(_ a: RunSummary, _ b: RunSummary) -> Bool {
        func key(_ s: RunSummary) -> [Int64] {
            [s.crashLoop ? 1 : 0, Int64(s.restartsLastHour), Int64(s.restartsLastDay),
             Int64(s.exitCodes.filter { $0.key != 0 }.values.reduce(0, +)), Int64(s.runs), s.lastStart]
        }
        let ka = key(a), kb = key(b)
        return ka != kb ? ka.lexicographicallyPrecedes(kb) == false : a.name < b.name
    }

    /// A summary per container that has run (all, or those of `ids`), worst first.
    public static func all(_ tx: StoreTransaction, ids: [String]? = nil, now: Int64 = Clock.nowNanos()) throws -> [RunSummary] {
        var sql = """
            SELECT r.container_id, r.container_name, r.started_at, r.finished_at, r.exit_code, r.end_reason, r.oom_killed,
                   coalesce(r.restart_count, 0) > coalesce(lag(r.restart_count) OVER (PARTITION BY r.container_id ORDER BY r.started_at, r.id), 0),
                   coalesce(c.name, rc.name), c.state
            FROM runs r LEFT JOIN containers c ON c.id = r.container_id LEFT JOIN removed_containers rc ON rc.id = r.container_id
            """
        if let ids { sql += " WHERE r.container_id IN (" + ids.map { _ in "?" }.joined(separator: ",") + ")" }
        sql += " ORDER BY r.container_id, r.started_at, r.id"
        var out: [String: RunSummary] = [:]
        var failures: [String: [Int64]] = [:]
        for r in try Row.fetchAll(tx.db, sql: sql, arguments: StatementArguments(ids ?? [])) {
            let id: String = r[0], started: Int64 = r[2], finished: Int64? = r[3]
            var s =
                out[id]
                ?? RunSummary(
                    containerID: id, name: (r[8] as String?) ?? r[1], state: (r[9] as String?) ?? "removed", runs: 0,
                    restartsLastHour: 0, restartsLastDay: 0, longest: 0, shortest: .max, exitCodes: [:], endReasons: [:],
                    lastOOM: nil, crashLoop: false, lastStart: 0)
            if r[8] as String? == nil { s.name = r[1] }  // removed before history kept its row
            s.runs += 1
            s.lastStart = max(s.lastStart, started)
            if r[7] as Bool {
                if now - started <= 3600 * 1_000_000_000 { s.restartsLastHour += 1 }
                if now - started <= 86_400 * 1_000_000_000 { s.restartsLastDay += 1 }
            }
            let length = max(0, (finished ?? now) - started)
            s.longest = max(s.longest, length)
            s.shortest = min(s.shortest, length)
            if let finished {
                let code: Int64? = r[4]
                if let code { s.exitCodes[code, default: 0] += 1 }
                s.endReasons[(r[5] as String?) ?? "exited", default: 0] += 1
                if r[6] as Bool { s.lastOOM = max(s.lastOOM ?? 0, finished) }
                if let code, code != 0 { failures[id, default: []].append(finished) }
            }
            out[id] = s
        }
        for (id, ends) in failures {
            out[id]?.crashLoop = Self.isCrashLoop(ends.sorted())
        }
        return out.values.map { s in
            var s = s
            if s.shortest == .max { s.shortest = 0 }
            return s
        }.sorted(by: worstFirst)
    }

    /// True when some `crashLoopRuns` consecutive failures (by end time, sorted) fit in the window.
    public static func isCrashLoop(_ ends: [Int64]) -> Bool {
        guard ends.count >= crashLoopRuns else { return false }
        for i in 0...(ends.count - crashLoopRuns) where ends[i + crashLoopRuns - 1] - ends[i] <= crashLoopWindow {
            return true
        }
        return false
    }
}

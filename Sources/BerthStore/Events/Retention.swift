import BerthCore
import Foundation
import GRDB

/// How much history berthd keeps: events and finished runs older than `maxAge` or beyond the
/// newest `maxCount` go. Zero means no limit.
public struct RetentionPolicy: Sendable, Equatable {
    public var eventsMaxAge: Int64 = 0
    public var eventsMaxCount: Int64 = 0
    public var runsMaxAge: Int64 = 0
    public var runsMaxCount: Int64 = 0
    public init() {}

    public var isUnlimited: Bool { self == RetentionPolicy() }
}

public enum Retention {
    public struct Pruned: Sendable, Equatable {
        public var events = 0
        public var runs = 0
    }

    /// Deletes what the policy lets go, a chunk per transaction, so a large backlog never holds
    /// the write lock for long (readers are never blocked: WAL).
    public static func apply(_ store: Store, _ p: RetentionPolicy, now: Int64 = Clock.nowNanos(), chunk: Int = 5000) throws -> Pruned {
        var out = Pruned()
        func drain(_ table: String, where clause: String, _ args: StatementArguments, extra: String = "") throws -> Int {
            var total = 0
            while true {
                let n = try store.writeDB { db -> Int in
                    try db.execute(
                        sql: "DELETE FROM \(table) WHERE id IN (SELECT id FROM \(table) WHERE \(clause)\(extra) ORDER BY id LIMIT \(chunk))",
                        arguments: args)
                    return db.changesCount
                }
                total += n
                if n < chunk { return total }
            }
        }
        if p.eventsMaxAge > 0 {
            out.events += try drain("events", where: "time_ns < ?", [now - p.eventsMaxAge])
        }
        if p.eventsMaxCount > 0,
            let cut = try store.readDB({ db in
                try Int64.fetchOne(db, sql: "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [p.eventsMaxCount])
            })
        {
            out.events += try drain("events", where: "id <= ?", [cut])
        }
        // Runs still going are never pruned.
        if p.runsMaxAge > 0 {
            out.runs += try drain("runs", where: "finished_at IS NOT NULL AND finished_at < ?", [now - p.runsMaxAge])
        }
        if p.runsMaxCount > 0,
            let cut = try store.readDB({ db in
                try Int64.fetchOne(db, sql: "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [p.runsMaxCount])
            })
        {
            out.runs += try drain("runs", where: "id <= ? AND finished_at IS NOT NULL", [cut])
        }
        return out
    }
}

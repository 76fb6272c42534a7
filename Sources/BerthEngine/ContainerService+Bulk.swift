import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Dispatch
import Foundation
import Synchronization

/// `container prune`'s filters: `until` (timestamp or Go duration), `label`, `label!`.
public struct ContainerPruneFilters: Sendable {
    public var until: Int64?
    public var labels: [String] = []
    public var notLabels: [String] = []
    public init() {}

    public init(_ raw: [String: [String]], now: Int64 = Clock.nowNanos()) throws {
        for key in raw.keys where !["until", "label", "label!"].contains(key) {
            throw BerthError.invalid("invalid filter '\(key)'")
        }
        if let u = raw["until"]?.last {
            guard let t = Clock.parseTimestamp(u, now: now) else { throw BerthError.invalid("invalid filter 'until=\(u)'") }
            until = t
        }
        labels = raw["label"] ?? []
        notLabels = raw["label!"] ?? []
        for l in labels + notLabels { _ = try KeyValue.parseFilter(l, what: "label filter") }
    }

    func matches(_ c: ContainerRecord, labels l: [String: String]) -> Bool {
        if let until, c.createdAt >= until { return false }
        func has(_ f: String) -> Bool {
            let kv = KeyValue.parse(f)
            guard let v = l[kv.key] else { return false }
            return kv.value == nil || v == kv.value
        }
        return labels.allSatisfy(has) && !notLabels.contains(where: has)
    }
}

extension ContainerService {
    /// `berth rm A B C…` in one go: resolved in one read, running ones killed (with `force`)
    /// and awaited together, then removed as a batch — two transactions around parallel file
    /// work, `removing` marking the rows in between so a crash is finished by recovery.
    public func removeMany(_ refs: [String], force: Bool, volumes: Bool) async -> [RemoveOutcome] {
        var outcomes: [RemoveOutcome]
        let resolved: [(Int, ContainerRecord, ExitTicket?)]
        do {
            (outcomes, resolved) = try await worker.run { [self] () -> ([RemoveOutcome], [(Int, ContainerRecord, ExitTicket?)]) in
                var outcomes = refs.map { RemoveOutcome(Ref: $0) }
                var out: [(Int, ContainerRecord, ExitTicket?)] = []
                let found = try store.read { db in
                    refs.map { ref in Result { try ContainerQueries.resolve(db, ref) } }
                }
                var seen = Set<String>()
                for (i, r) in found.enumerated() {
                    switch r {
                    case .failure(let e): outcomes[i].Error = BerthError.from(e).message
                    case .success(var c):
                        if force { c = try cancelPendingRestart(c) }
                        guard seen.insert(c.id).inserted else { outcomes[i].Id = c.id; continue }
                        if c.isRunning {
                            guard force else {
                                outcomes[i].Error =
                                    "cannot remove container \"\(refs[i])\": container is running: stop the container before removing or force remove"
                                continue
                            }
                            let t = waiters.register(c.id)
                            do { try signal(c, SIGKILL) } catch {
                                outcomes[i].Error = BerthError.from(error).message
                                continue
                            }
                            out.append((i, c, t))
                        } else {
                            out.append((i, c, nil))
                        }
                    }
                }
                // The intent first: if berthd dies before the kills are answered, recovery
                // finishes these removals instead of leaving killed containers behind.
                let killed = out.filter { $0.2 != nil }.map { $0.1.id }
                if !killed.isEmpty {
                    try store.write { db in try ContainerStore.markRemovePending(db, ids: killed, volumes: volumes) }
                }
                return (outcomes, out)
            }
        } catch {
            return refs.map { RemoveOutcome(Ref: $0, Error: BerthError.from(error).message) }
        }
        await withTaskGroup(of: Void.self) { g in
            for (_, c, t) in resolved { if let t { g.addTask { [self] in await waitOrKill(c, ticket: t, seconds: 10) } } }
        }
        let ids = resolved.map { $0.1.id }
        do {
            try await worker.run { [self] in try removeBatch(ids, volumes: volumes) }
            for (i, c, _) in resolved { outcomes[i].Id = c.id }
        } catch {
            for (i, _, _) in resolved { outcomes[i].Error = BerthError.from(error).message }
        }
        return outcomes
    }

    /// Finishes forced removals a crash interrupted (their intent was recorded before the
    /// kill). Run after recovery, before restart policies act on them.
    public func finishPendingRemovals() async -> Int {
        guard let rows = try? store.read({ db in try ContainerStore.pendingRemovals(db) }), !rows.isEmpty else { return 0 }
        var done = 0
        for volumes in [false, true] {
            let ids = rows.filter { $0.volumes == volumes }.map(\.id)
            if ids.isEmpty { continue }
            done += await removeMany(ids, force: true, volumes: volumes).filter { $0.Id != nil }.count
        }
        return done
    }

    /// Removes stopped containers together. SQLite's variable limit is respected by chunks.
    func removeBatch(_ ids: [String], volumes: Bool) throws {
        guard !ids.isEmpty else { return }
        let (records, anonymous) = try store.write { db -> ([ContainerRecord], [String]) in
            let records = try ContainerQueries.records(db, ids: ids)
            try ContainerStore.markRemoving(db, ids: ids)
            return (records, volumes ? try ContainerStore.anonymousVolumes(db, ids: ids) : [])
        }
        // The file work of many containers at once: unmounts and runc state now, and each
        // folder renamed into tmp/ (one rename, on the same filesystem); the trash is deleted
        // in the background after the answer, and tmp/ is emptied at start if berthd dies first.
        let list = records.map(\.id)
        let trash = paths.tmp + "/trash-" + Identifier.random().prefix(12)
        try FileOps.makeDirs(trash, mode: 0o700)
        DispatchQueue.concurrentPerform(iterations: list.count) { i in
            cleanupRuntime(list[i])
            if Glibc.rename(files(list[i]).dir, trash + "/" + list[i]) != 0 && errno != ENOENT {
                FileOps.removeTree(files(list[i]).dir)
            }
        }
        defer { DispatchQueue.global(qos: .utility).async { FileOps.removeTree(trash) } }
        let orphaned = try store.write { db -> [String] in
            let labels = try ContainerQueries.labels(db, ids: list)
            let now = Clock.nowNanos()
            try ContainerStore.delete(db, ids: list)
            for c in records {
                var a = labels[c.id] ?? [:]
                a["name"] = c.name
                a["image"] = c.imageRef
                try Events.append(
                    db, type: "container", action: "destroy", actorID: c.id, actorName: c.name,
                    attributes: a, time: now)
            }
            return try VolumeStore.deleteIfUnused(db, anonymous)
        }
        for v in orphaned { FileOps.removeTree(paths.volumes + "/" + v) }
        execs.removeAll(containers: Set(list))
        for id in list { backoff.forget(id) }
    }

    /// `container prune`: every stopped container the filters allow; returns the ids and the
    /// bytes their writable layers held.
    public func prune(_ filters: ContainerPruneFilters) async throws -> (ids: [String], reclaimed: Int64) {
        try await worker.run { [self] in
            let candidates = try store.read { db -> [ContainerRecord] in
                let rows = try ContainerQueries.withState(db, [.created, .exited, .dead])
                let labels = filters.labels.isEmpty && filters.notLabels.isEmpty ? [:] : try ContainerQueries.labels(db, ids: rows.map(\.id))
                return rows.filter { filters.matches($0, labels: labels[$0.id] ?? [:]) }
            }
            let ids = candidates.map(\.id)
            let tally = Tally()
            DispatchQueue.concurrentPerform(iterations: ids.count) { i in
                tally.add(FileOps.treeSize(files(ids[i]).upper))
            }
            try removeBatch(ids, volumes: false)
            let reclaimed = tally.total
            try store.write { db in
                try Events.append(
                    db, type: "container", action: "prune", actorID: "", actorName: nil,
                    attributes: ["reclaimed": String(reclaimed)])
            }
            return (ids, reclaimed)
        }
    }
}

/// A sum added to from many threads.
final class Tally: Sendable {
    private let sum = Mutex<Int64>(0)
    func add(_ n: Int64) { sum.withLock { $0 += n } }
    var total: Int64 { sum.withLock { $0 } }
}

import BerthAPI
import BerthCore
import Foundation
import Testing

@testable import BerthStore

/// `ps --at`: the host rebuilt from history at a past moment, on a migrated in-memory database
/// written through the same calls berthd makes.
@Suite struct HostAtTests {
    let a = String(format: "%064x", 10)
    let b = String(format: "%064x", 11)

    func new(_ id: String, _ name: String, at t: Int64) -> ContainerStore.NewContainer {
        .init(
            id: id, name: name, imageID: "sha256:" + String(repeating: "a", count: 64), imageRef: "img", command: "sleep 9",
            createdAt: t, restartPolicy: "always", restartMax: 0, autoRemove: false, configJSON: "{}", hostConfigJSON: "{}",
            labels: ["tier": "db"])
    }

    /// a: created 10, runs 20–30 (paused 25–27), crashes into a restart, runs again 35–40,
    /// renamed 45, removed 50. b: created 15, never started.
    func history() throws -> Store {
        let store = try Store.openInMemory()
        try store.write { tx in
            try ImageStore.insert(
                tx, id: "sha256:" + String(repeating: "a", count: 64), configJSON: "{}", manifestDigest: nil,
                architecture: "amd64", os: "linux", created: 1, labels: [:], layers: [], now: 1)
            try ContainerStore.insert(tx, new(a, "web", at: 10), mounts: [])
            try Events.append(tx, type: "container", action: "create", actorID: a, actorName: "web", time: 10)
            try ContainerStore.insert(tx, new(b, "idle", at: 15), mounts: [])
            try ContainerStore.recordStart(
                tx, id: a, name: "web", imageRef: "img", pid: 1, conmonPid: 2, conmonStartTime: nil, at: 20, bootID: "x",
                restarting: false, healthStatus: nil)
            try Events.append(tx, type: "container", action: "pause", actorID: a, time: 25)
            try Events.append(tx, type: "container", action: "unpause", actorID: a, time: 27)
            try ContainerStore.recordExit(
                tx, id: a, state: .restarting, code: 3, finished: 30, oom: false, reason: nil, restartAt: 35, endReason: "crash")
            try ContainerStore.recordStart(
                tx, id: a, name: "web", imageRef: "img", pid: 1, conmonPid: 2, conmonStartTime: nil, at: 35, bootID: "x",
                restarting: true, healthStatus: nil)
            try ContainerStore.recordExit(
                tx, id: a, state: .exited, code: 0, finished: 40, oom: false, reason: nil, restartAt: nil, endReason: "user-stop")
            try ContainerStore.rename(tx, id: a, to: "renamed")
            try Events.append(tx, type: "container", action: "rename", actorID: a, actorName: "renamed", attributes: ["oldName": "/web"], time: 45)
            try ContainerStore.delete(tx, ids: [a], at: 50)
        }
        return store
    }

    func at(_ store: Store, _ t: Int64, _ filters: [String: [String]] = [:]) throws -> [ContainerRecord] {
        var q = ContainerListQuery(all: true, filters: filters)
        q.at = HostAt(time: t)
        return try store.read { tx in try q.run(tx) { _ in [] } }
    }

    @Test func statesThroughALife() throws {
        let store = try history()
        #expect(try at(store, 5).isEmpty)
        #expect(try at(store, 12).map(\.state) == [.created])
        let running = try at(store, 22)
        #expect(running.map(\.name) == ["idle", "web"])
        #expect(running.map(\.state) == [.created, .running])
        #expect(try at(store, 26).first { $0.id == a }?.state == .paused)
        #expect(try at(store, 28).first { $0.id == a }?.state == .running)
        let restarting = try #require(try at(store, 32).first { $0.id == a })
        #expect(restarting.state == .restarting && restarting.exitCode == 3)
        let again = try #require(try at(store, 36).first { $0.id == a })
        #expect(again.state == .running && again.restartCount == 1 && again.startedAt == 35)
        let exited = try #require(try at(store, 42).first { $0.id == a })
        #expect(exited.state == .exited && exited.exitCode == 0 && exited.name == "web" && exited.finishedAt == 40)
        #expect(try at(store, 47).first { $0.id == a }?.name == "renamed")
        #expect(try at(store, 55).map(\.id) == [b])
    }

    @Test func filtersAnswerForThatMoment() throws {
        let store = try history()
        #expect(try at(store, 42, ["status": ["exited"]]).map(\.id) == [a])
        #expect(try at(store, 22, ["status": ["exited"]]).isEmpty)
        #expect(try at(store, 42, ["name": ["web"]]).map(\.id) == [a])
        #expect(try at(store, 47, ["name": ["web"]]).isEmpty)
        // A removed container's labels come from its kept row.
        #expect(try at(store, 47, ["label": ["tier=db"]]).count == 2)
        #expect(try at(store, 42, ["exited": ["0"]]).map(\.id) == [a])
        #expect(try at(store, 32, ["status": ["restarting"]]).map(\.id) == [a])
        // Without -a: only what was running then.
        var q = ContainerListQuery(all: false)
        q.at = HostAt(time: 22)
        #expect(try store.read { tx in try q.runLean(tx) { _ in [] } }.map(\.id) == [a])
    }

    @Test func removedRowKeepsWhatPsShows() throws {
        let store = try history()
        let labels = try store.read { tx in try HostAt(time: 47).labels(tx) }
        #expect(labels[a] == ["tier": "db"])
        #expect(try store.read { tx in try HostAt.firstMoment(tx) } == 10)
    }

    func diff(_ store: Store, _ t1: Int64, _ t2: Int64) throws -> [HostChange] {
        try store.read { tx in try HostDiff(from: t1, to: t2).run(tx) }
    }

    @Test func diffNamesWhatChanged() throws {
        let store = try history()
        let stopped = try diff(store, 22, 42)
        #expect(stopped.count == 1)
        #expect(stopped.first?.change == "stopped" && stopped.first?.before == "running" && stopped.first?.after == "exited (0)")
        #expect(stopped.first?.detail.contains("restarted 1 time") == true)
        let crash = try diff(store, 22, 32)
        #expect(crash.first?.change == "restarting" && crash.first?.detail.contains("exit code 3") == true)
        #expect(try diff(store, 42, 47).map(\.change) == ["renamed"])
        #expect(try diff(store, 47, 55).map(\.change) == ["removed"])
        let all = try diff(store, 5, 55)
        #expect(Set(all.map(\.change)) == ["created and removed", "created"])
        #expect(try diff(store, 60, 70).isEmpty)
        #expect(throws: BerthError.self) { try diff(store, 70, 60) }
    }

    @Test func summaryFlagsCrashLoopsFirst() throws {
        let store = try history()
        let c = String(format: "%064x", 12)
        let minute: Int64 = 60 * 1_000_000_000
        try store.write { tx in
            try ContainerStore.insert(tx, new(c, "loop", at: 100), mounts: [])
            for i in Int64(0)..<4 {
                try ContainerStore.recordStart(
                    tx, id: c, name: "loop", imageRef: "img", pid: 1, conmonPid: 2, conmonStartTime: nil, at: 1000 + i * minute,
                    bootID: "x", restarting: i > 0, healthStatus: nil)
                try ContainerStore.recordExit(
                    tx, id: c, state: .restarting, code: 1, finished: 1000 + i * minute + 5, oom: i == 3, reason: nil,
                    restartAt: nil, endReason: i == 3 ? "oom" : "crash")
            }
        }
        let all = try store.read { tx in try RunSummary.all(tx, now: 1000 + 10 * minute) }
        #expect(all.map(\.name) == ["loop", "renamed"])
        let loop = try #require(all.first)
        #expect(loop.crashLoop && loop.runs == 4 && loop.restartsLastHour == 3 && loop.exitCodes == [1: 4])
        #expect(loop.endReasons == ["crash": 3, "oom": 1] && loop.lastOOM == 1000 + 3 * minute + 5)
        #expect(loop.shortest == 5 && loop.longest == 5)
        let removed = try #require(all.last)
        #expect(removed.state == "removed" && !removed.crashLoop && removed.runs == 2 && removed.exitCodes == [3: 1, 0: 1])
        #expect(!RunSummary.isCrashLoop([0, RunSummary.crashLoopWindow / 2, RunSummary.crashLoopWindow + 1]))
        #expect(RunSummary.isCrashLoop([0, 1, 2]))
    }
}

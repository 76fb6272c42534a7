import BerthAPI
import BerthCore
import Foundation
import Testing

@testable import BerthStore

/// The store's typed writes against a migrated in-memory database: a state change and its
/// event land in one transaction, removals chunk past SQLite's variable limit.
@Suite struct StoreSeamTests {
    func container(_ id: String, _ name: String) -> ContainerStore.NewContainer {
        .init(
            id: id, name: name, imageID: "sha256:" + String(repeating: "a", count: 64), imageRef: "img", command: "true",
            createdAt: 1, restartPolicy: "no", restartMax: 0, autoRemove: false, configJSON: "{}", hostConfigJSON: "{}",
            labels: ["k": "v"])
    }

    func seeded(_ n: Int) throws -> Store {
        let store = try Store.openInMemory()
        try store.write { tx in
            try ImageStore.insert(
                tx, id: "sha256:" + String(repeating: "a", count: 64), configJSON: "{}", manifestDigest: nil,
                architecture: "amd64", os: "linux", created: 1, labels: [:], layers: [], now: 1)
            for i in 0..<n {
                let id = String(format: "%064x", i)
                try ContainerStore.insert(
                    tx, container(id, "c\(i)"),
                    mounts: [
                        .init(type: "volume", source: "/v", destination: "/data", volumeName: nil, readOnly: false, options: nil)
                    ])
            }
        }
        return store
    }

    @Test func lifecycleWritesAndReads() throws {
        let store = try seeded(1)
        let id = String(format: "%064x", 0)
        try store.write { tx in
            try ContainerStore.recordStart(
                tx, id: id, name: "c0", imageRef: "img", pid: 10, conmonPid: 11, conmonStartTime: 5,
                at: 100, bootID: "b", restarting: false, healthStatus: nil)
        }
        #expect(try store.read { tx in try ContainerQueries.get(tx, id: id)?.state } == .running)
        try store.write { tx in
            try ContainerStore.recordExit(
                tx, id: id, state: .exited, code: 3, finished: 200, oom: false, reason: nil,
                restartAt: nil, endReason: "crash")
        }
        let c = try #require(try store.read { tx in try ContainerQueries.get(tx, id: id) })
        #expect(c.state == .exited && c.exitCode == 3 && c.pid == nil)
        try store.write { tx in try ContainerStore.markRemovePending(tx, ids: [id], volumes: true) }
        #expect(try store.read { tx in try ContainerStore.pendingRemovals(tx) }.map(\.volumes) == [true])
    }

    @Test func bulkRemovalChunksPastTheVariableLimit() throws {
        let store = try seeded(1200)
        let ids = (0..<1200).map { String(format: "%064x", $0) }
        let records = try store.read { tx in try ContainerQueries.records(tx, ids: ids) }
        #expect(records.count == 1200)
        try store.write { tx in
            try ContainerStore.markRemoving(tx, ids: ids)
            try ContainerStore.delete(tx, ids: ids)
        }
        #expect(try store.read { tx in try ContainerStore.allIDs(tx) }.isEmpty)
    }

    @Test func volumesAndEvents() throws {
        let store = try Store.openInMemory()
        try store.write { tx in
            #expect(try VolumeStore.ensure(tx, name: "v1", anonymous: false, mountpoint: "/m", now: 1))
            #expect(try !VolumeStore.ensure(tx, name: "v1", anonymous: false, mountpoint: "/m", now: 1))
            try VolumeStore.setLabel(tx, "v1", key: "a", value: "b")
        }
        #expect(try store.read { tx in try VolumeStore.get(tx, "v1").Labels } == ["a": "b"])
        #expect(try store.read { tx in try VolumeStore.unused(tx, all: true) } == ["v1"])
        #expect(try store.write { tx in try VolumeStore.deleteIfUnused(tx, ["v1", "v1"]) } == ["v1"])
        let actions = try store.read { tx in try Events.list(tx, type: "volume") }.map(\.action)
        #expect(actions == ["create", "destroy"])
    }
}

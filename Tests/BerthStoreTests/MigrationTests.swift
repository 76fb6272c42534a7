import BerthCore
import Foundation
import GRDB
import Migrations
import Testing

@testable import BerthStore

@Suite final class MigrationTests {
    /// Temp folders this test made, removed when it ends.
    var made: [String] = []
    deinit { for d in made { try? FileManager.default.removeItem(atPath: d) } }

    func tempPath() -> String {
        let dir = NSTemporaryDirectory() + "berth-db-" + Identifier.random().prefix(8)
        made.append(dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/berth.db"
    }

    @Test func freshDatabaseHasEveryTable() throws {
        let store = try Store.openForWriting(path: tempPath())
        let tables = try store.readDB { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        for t in [
            "blobs", "layers", "images", "image_layers", "tags", "image_digests", "image_labels", "volumes",
            "networks", "containers", "container_labels", "port_mappings", "mounts", "network_attachments",
            "runs", "events", "daemon_state",
        ] {
            #expect(tables.contains(t), "missing table \(t)")
        }
        #expect(try Migrator.version(store.db) == SchemaMigrations.latest)
        let journal = try store.readDB { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        let fk = try store.readDB { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(fk == 1)
    }

    @Test func upgradesAnOldDatabaseInOrder() throws {
        let path = tempPath()
        let queue = try DatabaseQueue(path: path)
        let v1 = SchemaMigrations.all[0]
        try Migrator.migrate(queue, migrations: [v1])
        try queue.write { db in
            try db.execute(sql: "INSERT INTO daemon_state (key, value) VALUES ('x', 'kept')")
        }
        let v2 = (version: 2, name: "0002_test.sql", sql: "ALTER TABLE daemon_state ADD COLUMN note TEXT;")
        try Migrator.migrate(queue, migrations: [v1, v2])
        #expect(try Migrator.version(queue) == 2)
        let kept = try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM daemon_state WHERE key = 'x'") }
        #expect(kept == "kept")
        let cols = try queue.read { db in try db.columns(in: "daemon_state").map(\.name) }
        #expect(cols.contains("note"))
    }

    @Test func failedMigrationLeavesTheOldVersion() throws {
        let path = tempPath()
        let queue = try DatabaseQueue(path: path)
        let v1 = SchemaMigrations.all[0]
        let bad = (version: 2, name: "0002_bad.sql", sql: "CREATE TABLE t (x); THIS IS NOT SQL;")
        #expect(throws: BerthError.self) { try Migrator.migrate(queue, migrations: [v1, bad]) }
        #expect(try Migrator.version(queue) == 1)
        let hasT = try queue.read { db in try db.tableExists("t") }
        #expect(!hasT)
    }

    @Test func refusesANewerDatabase() throws {
        let path = tempPath()
        _ = try Store.openForWriting(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        do {
            _ = try Store.openForWriting(path: path)
            Issue.record("opened a newer database")
        } catch let e as BerthError {
            #expect(e.message.contains("99") && e.message.contains("\(SchemaMigrations.latest)"))
        }
        #expect(throws: BerthError.self) { try Store.openForQuery(path: path) }
    }

    @Test func queryConnectionCannotWrite() throws {
        let path = tempPath()
        _ = try Store.openForWriting(path: path)
        let q = try Store.openForQuery(path: path)
        #expect(throws: (any Error).self) {
            try q.db.write { db in try db.execute(sql: "INSERT INTO daemon_state VALUES ('a', 'b')") }
        }
    }
}

@Suite struct QueryTests {
    @Test func imageListingAndEvents() throws {
        let path = NSTemporaryDirectory() + "berth-q-" + Identifier.random().prefix(8) + ".db"
        defer { for s in ["", "-wal", "-shm"] { unlink(path + s) } }
        let store = try Store.openForWriting(path: path)
        let id1 = "sha256:" + String(repeating: "1", count: 64)
        let id2 = "sha256:" + String(repeating: "2", count: 64)
        try store.writeDB { db in
            for (id, created) in [(id1, 100), (id2, 200)] {
                try db.execute(
                    sql: "INSERT INTO images (id, config_json, created, added_at, size) VALUES (?, '{}', ?, 1, 10)",
                    arguments: [id, created])
            }
            try db.execute(
                sql: "INSERT INTO tags (name, repository, tag, image_id, created_at) VALUES ('docker.io/library/a:1', 'docker.io/library/a', '1', ?, 1)",
                arguments: [id1])
            try db.execute(sql: "INSERT INTO image_labels VALUES (?, 'k', 'v')", arguments: [id1])
            try Events.append(StoreTransaction(db), type: "image", action: "tag", actorID: id1, attributes: ["name": "a:1"], time: 5)
        }
        let list = try store.readDB { db in try ImageQueries.list(StoreTransaction(db)) }
        #expect(list.map(\.id) == [id2, id1])  // newest first
        #expect(list[1].tags == [.init(repository: "docker.io/library/a", tag: "1")] && list[1].labels == ["k": "v"])
        #expect(list[0].dangling)
        #expect(try store.readDB { db in try ImageQueries.imagesWithIDPrefix(StoreTransaction(db), hexPrefix: "111") } == [id1])
        #expect(try store.readDB { db in try ImageQueries.imageForTag(StoreTransaction(db), name: "docker.io/library/a:1") } == id1)
        let ev = try store.readDB { db in try Events.list(StoreTransaction(db)) }
        #expect(ev.count == 1 && ev[0].attributes == ["name": "a:1"] && ev[0].timeNanos == 5)
    }
}

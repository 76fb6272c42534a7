import BerthAPI
import BerthCore
import Foundation
import GRDB

/// Volume reads (the CLI's and berthd's) and writes, with their events.
public enum VolumeStore {
    public static func list(_ tx: StoreTransaction) throws -> [Volume] {
        let db = tx.db
        var labels: [String: [String: String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT volume_name, key, value FROM volume_labels") {
            labels[r[0], default: [:]][r[1]] = r[2]
        }
        return try Row.fetchAll(db, sql: "SELECT name, driver, mountpoint, created_at, anonymous FROM volumes ORDER BY name").map { r in
            var l = labels[r[0]] ?? [:]
            // Docker (23+) marks anonymous volumes so `volume prune` without --all takes them.
            if r[4] as Bool { l[anonymousLabel] = "" }
            return Volume(
                Name: r[0], Driver: r[1], Mountpoint: r[2], CreatedAt: Clock.rfc3339Nano(r[3]),
                Labels: l, Scope: "local", Options: [:])
        }
    }

    public static let anonymousLabel = "com.docker.volume.anonymous"

    /// GET /volumes' and `volume ls -f`'s filters: dangling, driver, label (k or k=v), name (substring).
    public static func list(_ tx: StoreTransaction, filters: [String: [String]]) throws -> [Volume] {
        for k in filters.keys where !["dangling", "driver", "label", "name"].contains(k) {
            throw BerthError.invalid("invalid filter '\(k)'")
        }
        var out = try list(tx)
        if let d = filters["dangling"]?.last {
            guard ["true", "false", "1", "0"].contains(d.lowercased()) else { throw BerthError.invalid("invalid filter 'dangling=\(d)'") }
            let used = Set(try String.fetchAll(tx.db, sql: "SELECT DISTINCT volume_name FROM mounts WHERE volume_name IS NOT NULL"))
            let want = d == "true" || d == "1"
            out = out.filter { used.contains($0.Name) != want }
        }
        if let drivers = filters["driver"] { out = out.filter { drivers.contains($0.Driver) } }
        for l in filters["label"] ?? [] {
            let kv = l.split(separator: "=", maxSplits: 1).map(String.init)
            out = out.filter { v in v.Labels[kv[0]].map { kv.count == 1 || $0 == kv[1] } ?? false }
        }
        if let names = filters["name"] { out = out.filter { v in names.contains { v.Name.contains($0) } } }
        return out
    }

    public static func get(_ tx: StoreTransaction, _ name: String) throws -> Volume {
        let db = tx.db
        guard let v = try list(tx).first(where: { $0.Name == name }) else { throw BerthError.notFound("get \(name): no such volume") }
        return v
    }

    public static func exists(_ tx: StoreTransaction, _ name: String) throws -> Bool {
        let db = tx.db
        return try Bool.fetchOne(db, sql: "SELECT 1 FROM volumes WHERE name = ?", arguments: [name]) ?? false
    }

    /// Records the volume unless it exists (with a `create` event); its mountpoint is the
    /// caller's to make.
    @discardableResult
    public static func ensure(_ tx: StoreTransaction, name: String, anonymous: Bool, mountpoint: String, now: Int64) throws -> Bool {
        let db = tx.db
        if try exists(tx, name) { return false }
        try db.execute(
            sql: "INSERT INTO volumes (name, mountpoint, anonymous, created_at) VALUES (?, ?, ?, ?)",
            arguments: [name, mountpoint, anonymous, now])
        try Events.append(tx, type: "volume", action: "create", actorID: name, actorName: name, time: now)
        return true
    }

    /// Whether the volume has had its copy-up (or was found with content at a mount).
    public static func isPopulated(_ tx: StoreTransaction, _ name: String) throws -> Bool {
        try Bool.fetchOne(tx.db, sql: "SELECT populated FROM volumes WHERE name = ?", arguments: [name]) ?? true
    }

    public static func markPopulated(_ tx: StoreTransaction, _ name: String) throws {
        try tx.db.execute(sql: "UPDATE volumes SET populated = 1 WHERE name = ?", arguments: [name])
    }

    /// Whether a live container other than `except` mounts the volume.
    public static func inUseByLive(_ tx: StoreTransaction, _ name: String, except: String) throws -> Bool {
        try Bool.fetchOne(
            tx.db,
            sql: "SELECT 1 FROM mounts m JOIN containers c ON c.id = m.container_id WHERE m.volume_name = ? AND c.id != ? AND c.state IN \(ContainerState.sqlList(ContainerState.live)) LIMIT 1",
            arguments: [name, except]) ?? false
    }

    public static func setLabel(_ tx: StoreTransaction, _ name: String, key: String, value: String) throws {
        let db = tx.db
        try db.execute(sql: "INSERT OR REPLACE INTO volume_labels (volume_name, key, value) VALUES (?, ?, ?)", arguments: [name, key, value])
    }

    /// The containers that mount it.
    public static func users(_ tx: StoreTransaction, _ name: String) throws -> [String] {
        let db = tx.db
        return try String.fetchAll(db, sql: "SELECT DISTINCT container_id FROM mounts WHERE volume_name = ?", arguments: [name])
    }

    /// Deletes the rows with a `destroy` event each.
    public static func delete(_ tx: StoreTransaction, _ names: [String]) throws {
        let db = tx.db
        for n in names {
            try db.execute(sql: "DELETE FROM volumes WHERE name = ?", arguments: [n])
            try Events.append(tx, type: "volume", action: "destroy", actorID: n, actorName: n)
        }
    }

    /// Volumes no container mounts (anonymous ones only unless `all`).
    public static func unused(_ tx: StoreTransaction, all: Bool) throws -> [String] {
        let db = tx.db
        var sql = "SELECT name FROM volumes v WHERE NOT EXISTS (SELECT 1 FROM mounts m WHERE m.volume_name = v.name)"
        if !all { sql += " AND anonymous = 1" }
        return try String.fetchAll(db, sql: sql + " ORDER BY name")
    }

    /// Of `names`, deletes those no container mounts any more; returns them.
    public static func deleteIfUnused(_ tx: StoreTransaction, _ names: [String]) throws -> [String] {
        let db = tx.db
        var gone: [String] = []
        for v in Set(names).sorted() where try Int.fetchOne(db, sql: "SELECT count(*) FROM mounts WHERE volume_name = ?", arguments: [v]) == 0 {
            try delete(tx, [v])
            gone.append(v)
        }
        return gone
    }
}

import BerthCore
import BerthStore
import Foundation
import GRDB

/// A volume as the API shows it.
public struct VolumeRecord: Codable, Sendable, Equatable {
    public var Name: String
    public var Driver: String
    public var Mountpoint: String
    public var CreatedAt: String
    public var Labels: [String: String]
    public var Scope: String
    public var Options: [String: String]
}

/// Volume queries, shared by the CLI (direct reads) and berthd.
public enum VolumeQueries {
    public static func list(_ db: Database) throws -> [VolumeRecord] {
        var labels: [String: [String: String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT volume_name, key, value FROM volume_labels") {
            labels[r[0], default: [:]][r[1]] = r[2]
        }
        return try Row.fetchAll(db, sql: "SELECT name, driver, mountpoint, created_at FROM volumes ORDER BY name").map { r in
            VolumeRecord(Name: r[0], Driver: r[1], Mountpoint: r[2], CreatedAt: Clock.rfc3339Nano(r[3]),
                         Labels: labels[r[0]] ?? [:], Scope: "local", Options: [:])
        }
    }

    public static func get(_ db: Database, _ name: String) throws -> VolumeRecord {
        guard let v = try list(db).first(where: { $0.Name == name }) else { throw BerthError.notFound("get \(name): no such volume") }
        return v
    }
}

extension ContainerService {
    /// `berth volume create`.
    public func createVolume(name: String?, labels: [String: String]) async throws -> VolumeRecord {
        try await worker.run { [self] in
            let n = (name?.isEmpty ?? true) ? Identifier.random() : name!
            guard NameGenerator.isValid(n) else {
                throw BerthError.invalid("create \(n): \"\(n)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed")
            }
            return try store.write { db in
                _ = try Volumes.ensure(db, name: n, anonymous: false, paths: paths, now: Clock.nowNanos())
                for (k, v) in labels {
                    try db.execute(sql: "INSERT OR REPLACE INTO volume_labels (volume_name, key, value) VALUES (?, ?, ?)", arguments: [n, k, v])
                }
                return try VolumeQueries.get(db, n)
            }
        }
    }

    /// `berth volume rm`: refused while a container uses it.
    public func removeVolume(_ name: String, force: Bool) async throws {
        try await worker.run { [self] in
            try store.write { db in
                _ = try VolumeQueries.get(db, name)
                let users = try String.fetchAll(db, sql: "SELECT DISTINCT container_id FROM mounts WHERE volume_name = ?", arguments: [name])
                if !users.isEmpty {
                    throw BerthError.conflict("remove \(name): volume is in use - [\(users.joined(separator: ", "))]")
                }
                try db.execute(sql: "DELETE FROM volumes WHERE name = ?", arguments: [name])
                try Events.append(db, type: "volume", action: "destroy", actorID: name, actorName: name)
            }
            FileOps.removeTree(paths.volumes + "/" + name)
        }
    }

    /// `berth volume prune`: unused anonymous volumes (all unused ones with `all`).
    public func pruneVolumes(all: Bool) async throws -> (names: [String], bytes: Int64) {
        try await worker.run { [self] in
            let names = try store.write { db -> [String] in
                var sql = "SELECT name FROM volumes v WHERE NOT EXISTS (SELECT 1 FROM mounts m WHERE m.volume_name = v.name)"
                if !all { sql += " AND anonymous = 1" }
                let names = try String.fetchAll(db, sql: sql + " ORDER BY name")
                for n in names {
                    try db.execute(sql: "DELETE FROM volumes WHERE name = ?", arguments: [n])
                    try Events.append(db, type: "volume", action: "destroy", actorID: n, actorName: n)
                }
                return names
            }
            var bytes: Int64 = 0
            for n in names {
                bytes += FileOps.treeSize(paths.volumes + "/" + n)
                FileOps.removeTree(paths.volumes + "/" + n)
            }
            return (names, bytes)
        }
    }
}

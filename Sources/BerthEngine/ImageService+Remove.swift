import BerthCore
import BerthImage
import BerthStore
import Foundation
import GRDB

/// One line of an image removal, Docker's `{"Untagged": …}` / `{"Deleted": …}`.
public struct ImageDeleteItem: Codable, Sendable, Equatable {
    public var Untagged: String?
    public var Deleted: String?
    public init(untagged: String) { Untagged = untagged }
    public init(deleted: String) { Deleted = deleted }
}

/// What an image prune removed.
public struct ImagePruneReport: Codable, Sendable {
    public var ImagesDeleted: [ImageDeleteItem]?
    public var SpaceReclaimed: Int64
}

/// Filters accepted by `image prune`.
public struct ImagePruneFilters: Sendable {
    public var until: Int64?
    public var labels: [(key: String, value: String?)] = []
    public var notLabels: [(key: String, value: String?)] = []
    public init() {}
}

extension ImageService {
    /// `berth rmi`: untags while other names remain, else deletes the image and the layers no
    /// other image uses.
    public func remove(_ name: String, force: Bool, prune: Bool = true) async throws -> [ImageDeleteItem] {
        try await mutate { [self] in
            var files: [String] = []
            let out = try store.write { db -> [ImageDeleteItem] in
                let match = try ImageResolver.resolve(db, name)
                let id = match.imageID
                let tags = try String.fetchAll(db, sql: "SELECT name FROM tags WHERE image_id = ? ORDER BY name", arguments: [id])
                let now = Clock.nowNanos()
                if case .tag(let tagName, _) = match, tags.count > 1 {
                    return [try untag(db, name: tagName, imageID: id, now: now)]
                }
                if case .id = match, tags.count > 1, !force {
                    throw BerthError.conflict("conflict: unable to delete \(Identifier.short(id)) (must be forced) - image is referenced in multiple repositories")
                }
                let users = try Row.fetchAll(db, sql: "SELECT id, state FROM containers WHERE image_id = ? ORDER BY created_at", arguments: [id])
                if let running = users.first(where: { ["running", "paused", "restarting"].contains($0["state"] as String) }) {
                    throw BerthError.conflict("conflict: unable to delete \(Identifier.short(id)) (cannot be forced) - image is being used by running container \(Identifier.short(running["id"] as String))")
                }
                if let stopped = users.first, !force {
                    throw BerthError.conflict("conflict: unable to delete \(Identifier.short(id)) (must be forced) - image is being used by stopped container \(Identifier.short(stopped["id"] as String))")
                }
                var items: [ImageDeleteItem] = []
                for t in tags { items.append(try untag(db, name: t, imageID: id, now: now)) }
                // A stopped container still needs the image's layers: keep it, untagged.
                if !users.isEmpty { return items }
                let (deleted, paths, _) = try deleteImage(db, id: id, now: now)
                files += paths
                return items + deleted
            }
            removeFiles(files)
            return out
        }
    }

    /// `berth image prune`: dangling images (all unused ones with `all`), none used by a container.
    public func prune(all: Bool, filters: ImagePruneFilters = ImagePruneFilters()) async throws -> ImagePruneReport {
        try await mutate { [self] in
            var files: [String] = []
            let report = try store.write { db -> ImagePruneReport in
                var sql = """
                    SELECT id FROM images i WHERE NOT EXISTS (SELECT 1 FROM containers c WHERE c.image_id = i.id)
                    """
                if !all { sql += " AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.image_id = i.id)" }
                var args: [any DatabaseValueConvertible] = []
                if let until = filters.until { sql += " AND coalesce(i.created, i.added_at) < ?"; args.append(until) }
                for l in filters.labels {
                    sql += " AND EXISTS (SELECT 1 FROM image_labels l WHERE l.image_id = i.id AND l.key = ?"
                    args.append(l.key)
                    if let v = l.value { sql += " AND l.value = ?"; args.append(v) }
                    sql += ")"
                }
                for l in filters.notLabels {
                    sql += " AND NOT EXISTS (SELECT 1 FROM image_labels l WHERE l.image_id = i.id AND l.key = ?"
                    args.append(l.key)
                    if let v = l.value { sql += " AND l.value = ?"; args.append(v) }
                    sql += ")"
                }
                let ids = try String.fetchAll(db, sql: sql + " ORDER BY added_at", arguments: StatementArguments(args))
                let now = Clock.nowNanos()
                var items: [ImageDeleteItem] = []
                var reclaimed: Int64 = 0
                for id in ids {
                    for t in try String.fetchAll(db, sql: "SELECT name FROM tags WHERE image_id = ?", arguments: [id]) {
                        items.append(try untag(db, name: t, imageID: id, now: now))
                    }
                    let (deleted, paths, bytes) = try deleteImage(db, id: id, now: now)
                    items += deleted
                    files += paths
                    reclaimed += bytes
                }
                try Events.append(db, type: "image", action: "prune", actorID: "",
                                  attributes: ["reclaimed": String(reclaimed)], time: now)
                return ImagePruneReport(ImagesDeleted: items.isEmpty ? nil : items, SpaceReclaimed: reclaimed)
            }
            removeFiles(files)
            return report
        }
    }

    func untag(_ db: Database, name: String, imageID: String, now: Int64) throws -> ImageDeleteItem {
        try db.execute(sql: "DELETE FROM tags WHERE name = ?", arguments: [name])
        let familiar = (try? Reference.parse(name).familiarString) ?? name
        try Events.append(db, type: "image", action: "untag", actorID: imageID, actorName: familiar,
                          attributes: ["name": familiar], time: now)
        return ImageDeleteItem(untagged: familiar)
    }

    /// Deletes the image row and every layer and blob no other image uses. Returns the lines,
    /// the files to remove once the transaction has committed, and the bytes freed.
    func deleteImage(_ db: Database, id: String, now: Int64) throws -> ([ImageDeleteItem], [String], Int64) {
        try db.execute(sql: "DELETE FROM image_digests WHERE image_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [id])
        try Events.append(db, type: "image", action: "delete", actorID: id, time: now)
        var items = [ImageDeleteItem(deleted: id)]
        var files: [String] = []
        var freed: Int64 = 0
        // Unused layers, children before parents (a parent is unused only if its children are).
        while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT chain_id, size FROM layers l
                WHERE NOT EXISTS (SELECT 1 FROM image_layers il WHERE il.chain_id = l.chain_id)
                  AND NOT EXISTS (SELECT 1 FROM layers c WHERE c.parent_chain_id = l.chain_id)
                """)
            if rows.isEmpty { break }
            for r in rows {
                let chain: String = r["chain_id"]
                try db.execute(sql: "DELETE FROM layers WHERE chain_id = ?", arguments: [chain])
                items.append(ImageDeleteItem(deleted: chain))
                files.append(paths.layerDir(String(chain.dropFirst(7))))
                freed += r["size"] as Int64
            }
        }
        let blobs = try String.fetchAll(db, sql: """
            SELECT digest FROM blobs b
            WHERE NOT EXISTS (SELECT 1 FROM layers l WHERE l.blob_digest = b.digest)
              AND NOT EXISTS (SELECT 1 FROM image_layers il WHERE il.blob_digest = b.digest)
            """)
        for b in blobs {
            try db.execute(sql: "DELETE FROM blobs WHERE digest = ?", arguments: [b])
            files.append(paths.blob(String(b.dropFirst(7))))
        }
        return (items, files, freed)
    }

    /// Removes files whose rows are gone. A crash before this leaves orphans that `recover()` removes.
    func removeFiles(_ files: [String]) {
        for f in files { FileOps.removeTree(f) }
    }
}

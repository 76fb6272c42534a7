import BerthAPI
import BerthCore
import Foundation
import GRDB

/// The image rows' writes and the reads the image service needs, each joining the caller's
/// transaction. Files are the service's: these return what to delete once committed.
public enum ImageStore {
    /// A layer as the store records it.
    public struct LayerRow: Sendable, Codable {
        public var blob: String
        public var blobSize: Int64
        public var mediaType: String
        public var diffID: String
        public var chainID: String
        public var parent: String?
        public var size: Int64
        public init(blob: String, blobSize: Int64, mediaType: String, diffID: String, chainID: String, parent: String?, size: Int64) {
            self.blob = blob; self.blobSize = blobSize; self.mediaType = mediaType; self.diffID = diffID
            self.chainID = chainID; self.parent = parent; self.size = size
        }
    }

    /// The unpacked size of a recorded layer, or nil.
    public static func layerSize(_ tx: StoreTransaction, chainID: String) throws -> Int64? {
        let db = tx.db
        return try Int64.fetchOne(db, sql: "SELECT size FROM layers WHERE chain_id = ?", arguments: [chainID])
    }

    public static func exists(_ tx: StoreTransaction, id: String) throws -> Bool {
        let db = tx.db
        return try Bool.fetchOne(db, sql: "SELECT 1 FROM images WHERE id = ?", arguments: [id]) ?? false
    }

    /// Records the layers (blobs and chains, those not there yet) and, unless it exists, the
    /// image with its layer list and labels. Returns false when the image was there already.
    @discardableResult
    public static func insert(
        _ tx: StoreTransaction, id: String, configJSON: String, manifestDigest: String?, architecture: String?,
        os: String?, created: Int64?, labels: [String: String], layers: [LayerRow], now: Int64
    ) throws -> Bool {
        let db = tx.db
        for l in layers {
            try db.execute(
                sql: "INSERT OR IGNORE INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?)",
                arguments: [l.blob, l.blobSize, l.mediaType, now])
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO layers (chain_id, diff_id, parent_chain_id, blob_digest, size, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [l.chainID, l.diffID, l.parent, l.blob, l.size, now])
        }
        if try exists(tx, id: id) { return false }
        try db.execute(
            sql: """
                INSERT INTO images (id, config_json, manifest_digest, top_chain_id, architecture, os, created, added_at, size)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, configJSON, manifestDigest, layers.last?.chainID, architecture, os, created, now,
                layers.reduce(0) { $0 + $1.size },
            ])
        for (i, l) in layers.enumerated() {
            try db.execute(
                sql: "INSERT INTO image_layers (image_id, position, chain_id, blob_digest, media_type) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, i, l.chainID, l.blob, l.mediaType])
        }
        for (k, v) in labels {
            try db.execute(sql: "INSERT INTO image_labels (image_id, key, value) VALUES (?, ?, ?)", arguments: [id, k, v])
        }
        return true
    }

    /// Points `name` (full form) at the image, moving it if it named another.
    public static func setTag(_ tx: StoreTransaction, name: String, repository: String, tag: String, imageID: String, now: Int64) throws {
        let db = tx.db
        try db.execute(
            sql: """
                INSERT INTO tags (name, repository, tag, image_id, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, created_at = excluded.created_at
                """, arguments: [name, repository, tag, imageID, now])
        try db.execute(sql: "UPDATE images SET last_tag_time = ? WHERE id = ?", arguments: [now, imageID])
    }

    public static func deleteTag(_ tx: StoreTransaction, name: String) throws {
        let db = tx.db
        try db.execute(sql: "DELETE FROM tags WHERE name = ?", arguments: [name])
    }

    /// The image's tags, by name.
    public static func tags(_ tx: StoreTransaction, imageID: String) throws -> [String] {
        let db = tx.db
        return try String.fetchAll(db, sql: "SELECT name FROM tags WHERE image_id = ? ORDER BY name", arguments: [imageID])
    }

    /// Every tag and its image.
    public static func allTags(_ tx: StoreTransaction) throws -> [String: String] {
        let db = tx.db
        var out: [String: String] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT name, image_id FROM tags") { out[r[0]] = r[1] }
        return out
    }

    public static func allIDs(_ tx: StoreTransaction) throws -> [String] {
        let db = tx.db
        return try String.fetchAll(db, sql: "SELECT id FROM images")
    }

    /// Containers made from the image: (id, state), oldest first.
    public static func users(_ tx: StoreTransaction, imageID: String) throws -> [(id: String, state: ContainerState)] {
        let db = tx.db
        return try Row.fetchAll(db, sql: "SELECT id, state FROM containers WHERE image_id = ? ORDER BY created_at", arguments: [imageID])
            .map { ($0["id"], ContainerState(stored: $0["state"])) }
    }

    /// Images no container uses (only untagged ones unless `all`), filtered, oldest first.
    public static func prunable(
        _ tx: StoreTransaction, all: Bool, until: Int64?, labels: [(key: String, value: String?)],
        notLabels: [(key: String, value: String?)]
    ) throws -> [String] {
        let db = tx.db
        var sql = "SELECT id FROM images i WHERE NOT EXISTS (SELECT 1 FROM containers c WHERE c.image_id = i.id)"
        if !all { sql += " AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.image_id = i.id)" }
        // Only images nothing was made from: removing one removes its unused parents after it.
        sql += " AND NOT EXISTS (SELECT 1 FROM images ch WHERE ch.parent_id = i.id)"
        var args: [any DatabaseValueConvertible] = []
        if let until { sql += " AND coalesce(i.created, i.added_at) < ?"; args.append(until) }
        for (l, negate) in labels.map({ ($0, false) }) + notLabels.map({ ($0, true) }) {
            sql += " AND \(negate ? "NOT " : "")EXISTS (SELECT 1 FROM image_labels l WHERE l.image_id = i.id AND l.key = ?"
            args.append(l.key)
            if let v = l.value { sql += " AND l.value = ?"; args.append(v) }
            sql += ")"
        }
        return try String.fetchAll(db, sql: sql + " ORDER BY added_at", arguments: StatementArguments(args))
    }

    /// What deleting an image freed: layer chain ids with their sizes, and blob digests, in
    /// the order they went.
    public struct Deleted: Sendable {
        public var layers: [(chainID: String, size: Int64)] = []
        public var blobs: [String] = []
    }

    /// Deletes the image row and every layer and blob no other image uses.
    public static func delete(_ tx: StoreTransaction, id: String) throws -> Deleted {
        let db = tx.db
        try db.execute(sql: "DELETE FROM image_digests WHERE image_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [id])
        var out = Deleted()
        // Unused layers, children before parents (a parent is unused only if its children are).
        while true {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT chain_id, size FROM layers l
                    WHERE NOT EXISTS (SELECT 1 FROM image_layers il WHERE il.chain_id = l.chain_id)
                      AND NOT EXISTS (SELECT 1 FROM layers c WHERE c.parent_chain_id = l.chain_id)
                    """)
            if rows.isEmpty { break }
            for r in rows {
                let chain: String = r["chain_id"]
                try db.execute(sql: "DELETE FROM layers WHERE chain_id = ?", arguments: [chain])
                out.layers.append((chain, r["size"]))
            }
        }
        out.blobs = try String.fetchAll(
            db,
            sql: """
                SELECT digest FROM blobs b
                WHERE NOT EXISTS (SELECT 1 FROM layers l WHERE l.blob_digest = b.digest)
                  AND NOT EXISTS (SELECT 1 FROM image_layers il WHERE il.blob_digest = b.digest)
                """)
        for b in out.blobs { try db.execute(sql: "DELETE FROM blobs WHERE digest = ?", arguments: [b]) }
        return out
    }

    /// Recorded blob digests and layer chain ids (start-up cleaning compares them with files).
    public static func recordedFiles(_ tx: StoreTransaction) throws -> (blobs: Set<String>, layers: Set<String>) {
        let db = tx.db
        return (Set(try String.fetchAll(db, sql: "SELECT digest FROM blobs")), Set(try String.fetchAll(db, sql: "SELECT chain_id FROM layers")))
    }

    /// The image's config and manifest digest (nil when unknown).
    public static func config(_ tx: StoreTransaction, id: String) throws -> (configJSON: String, manifestDigest: String?)? {
        let db = tx.db
        return try Row.fetchOne(db, sql: "SELECT config_json, manifest_digest FROM images WHERE id = ?", arguments: [id]).map { ($0[0], $0[1]) }
    }

    /// The image's layers in order, as recorded.
    public static func layers(_ tx: StoreTransaction, imageID: String) throws -> [LayerRow] {
        let db = tx.db
        return try Row.fetchAll(
            db,
            sql: """
                SELECT il.blob_digest, b.size, il.media_type, l.diff_id, l.chain_id, l.parent_chain_id, l.size
                FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id JOIN blobs b ON b.digest = il.blob_digest
                WHERE il.image_id = ? ORDER BY il.position
                """, arguments: [imageID]
        ).map { l in
            LayerRow(blob: l[0], blobSize: l[1], mediaType: l[2], diffID: l[3], chainID: l[4], parent: l[5], size: l[6])
        }
    }
}

extension ImageStore {
    /// Records `repository@digest` for an image (a pull's repo digest: `images --digests`,
    /// `RepoDigests`, `name@sha256:…`).
    public static func addRepoDigest(_ tx: StoreTransaction, repository: String, digest: String, imageID: String) throws {
        try tx.db.execute(
            sql: "INSERT OR REPLACE INTO image_digests (repository, digest, image_id) VALUES (?, ?, ?)",
            arguments: [repository, digest, imageID])
    }
}

extension ImageStore {
    /// Whether a blob is recorded (its file is in the content store).
    public static func hasBlob(_ tx: StoreTransaction, digest: String) throws -> Bool {
        try Bool.fetchOne(tx.db, sql: "SELECT EXISTS (SELECT 1 FROM blobs WHERE digest = ?)", arguments: [digest]) ?? false
    }
}

extension ImageStore {
    /// A pull's record (`berth sql "SELECT * FROM pulls"`).
    public struct PullRecord: Sendable {
        public var reference: String
        public var registry: String
        public var digest: String?
        public var imageID: String?
        public var bytesFetched: Int64
        public var bytesReused: Int64
        public var startedAt: Int64
        public var seconds: Double
        public var outcome: String
        public init(
            reference: String, registry: String, digest: String?, imageID: String?, bytesFetched: Int64, bytesReused: Int64,
            startedAt: Int64, seconds: Double, outcome: String
        ) {
            self.reference = reference; self.registry = registry; self.digest = digest; self.imageID = imageID
            self.bytesFetched = bytesFetched; self.bytesReused = bytesReused; self.startedAt = startedAt; self.seconds = seconds
            self.outcome = outcome
        }
    }

    public static func recordPull(_ tx: StoreTransaction, _ p: PullRecord) throws {
        try tx.db.execute(
            sql: """
                INSERT INTO pulls (reference, registry, digest, image_id, bytes_fetched, bytes_reused, started_at, seconds, outcome)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [p.reference, p.registry, p.digest, p.imageID, p.bytesFetched, p.bytesReused, p.startedAt, p.seconds, p.outcome])
    }
}

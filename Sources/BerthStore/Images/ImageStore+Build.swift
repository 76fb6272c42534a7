import BerthCore
import Foundation
import GRDB

/// Parents, the build cache and build records: what commit and build write besides images.
extension ImageStore {
    /// Records the image `id` was made from.
    public static func setParent(_ tx: StoreTransaction, id: String, parent: String) throws {
        try tx.db.execute(sql: "UPDATE images SET parent_id = ? WHERE id = ?", arguments: [parent, id])
    }

    public static func parent(_ tx: StoreTransaction, id: String) throws -> String? {
        try String.fetchOne(tx.db, sql: "SELECT parent_id FROM images WHERE id = ?", arguments: [id])
    }

    /// Whether another image was made from this one.
    public static func hasChildren(_ tx: StoreTransaction, id: String) throws -> Bool {
        try Bool.fetchOne(tx.db, sql: "SELECT 1 FROM images WHERE parent_id = ? LIMIT 1", arguments: [id]) ?? false
    }

    /// The cached result of a build step, if its image is still there.
    public static func cachedStep(_ tx: StoreTransaction, parent: String, key: String) throws -> String? {
        try String.fetchOne(
            tx.db, sql: "SELECT image_id FROM build_cache WHERE parent_id = ? AND key = ?", arguments: [parent, key])
    }

    public static func cacheStep(_ tx: StoreTransaction, parent: String, key: String, imageID: String, now: Int64) throws {
        try tx.db.execute(
            sql: """
                INSERT INTO build_cache (parent_id, key, image_id, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(parent_id, key) DO UPDATE SET image_id = excluded.image_id, created_at = excluded.created_at
                """, arguments: [parent, key, imageID, now])
    }

    /// Forgets every cached step; returns how many there were.
    public static func clearBuildCache(_ tx: StoreTransaction) throws -> Int {
        let n = try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM build_cache") ?? 0
        try tx.db.execute(sql: "DELETE FROM build_cache")
        return n
    }

    /// Untagged images no container uses and nothing was made from, that a build or commit
    /// made (they have a parent or are a cached step): what `builder prune` removes.
    public static func danglingBuildImages(_ tx: StoreTransaction) throws -> [String] {
        try String.fetchAll(
            tx.db,
            sql: """
                SELECT id FROM images i
                WHERE (i.parent_id IS NOT NULL OR EXISTS (SELECT 1 FROM build_cache b WHERE b.image_id = i.id))
                  AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.image_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM containers c WHERE c.image_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM images ch WHERE ch.parent_id = i.id)
                ORDER BY added_at
                """)
    }

    /// Whether an image can go with the child that was removed: untagged, unused, childless.
    public static func isUnusedParent(_ tx: StoreTransaction, id: String) throws -> Bool {
        try Bool.fetchOne(
            tx.db,
            sql: """
                SELECT 1 FROM images i WHERE i.id = ?
                  AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.image_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM containers c WHERE c.image_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM images ch WHERE ch.parent_id = i.id)
                """, arguments: [id]) ?? false
    }

    /// One build, as the `builds` table keeps it.
    public struct BuildRecord: Sendable {
        public var id: String
        public var imageID: String?
        public var tags: [String]
        public var dockerfile: String
        public var contextDigest: String
        public var contextSize: Int64
        public var target: String?
        public var steps: Int
        public var cacheHits: Int
        public var cacheMisses: Int
        public var startedAt: Int64
        public var seconds: Double
        public var outcome: String
        public init(
            id: String, imageID: String?, tags: [String], dockerfile: String, contextDigest: String, contextSize: Int64,
            target: String?, steps: Int, cacheHits: Int, cacheMisses: Int, startedAt: Int64, seconds: Double, outcome: String
        ) {
            self.id = id; self.imageID = imageID; self.tags = tags; self.dockerfile = dockerfile
            self.contextDigest = contextDigest; self.contextSize = contextSize; self.target = target; self.steps = steps
            self.cacheHits = cacheHits; self.cacheMisses = cacheMisses; self.startedAt = startedAt; self.seconds = seconds
            self.outcome = outcome
        }
    }

    public static func recordBuild(_ tx: StoreTransaction, _ b: BuildRecord) throws {
        let tags = String(decoding: try JSONEncoder().encode(b.tags), as: UTF8.self)
        try tx.db.execute(
            sql: """
                INSERT INTO builds (id, image_id, tags, dockerfile, context_digest, context_size, target, steps,
                                    cache_hits, cache_misses, started_at, seconds, outcome)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                b.id, b.imageID, tags, b.dockerfile, b.contextDigest, b.contextSize, b.target, b.steps,
                b.cacheHits, b.cacheMisses, b.startedAt, b.seconds, b.outcome,
            ])
    }
}

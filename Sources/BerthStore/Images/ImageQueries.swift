import BerthCore
import Foundation
import GRDB

/// An image as `images` and GET /images/json show it.
public struct ImageListing: Sendable, Equatable {
    public struct Tag: Sendable, Equatable {
        /// Normalised repository, `docker.io/library/busybox`.
        public var repository: String
        public var tag: String
        public init(repository: String, tag: String) { self.repository = repository; self.tag = tag }
    }
    public var id: String
    /// Creation time from the image config (ns), or when berth stored it.
    public var created: Int64
    public var addedAt: Int64
    public var size: Int64
    public var tags: [Tag]
    /// `repository@sha256:…`
    public var digests: [String]
    public var labels: [String: String]
    public var containers: Int
    /// Some image was made from this one (commit, build step): untagged, it is intermediate.
    public var hasChildren = false
    /// A step of a build that did not finish (failed, cancelled, killed): build cache only.
    public var cacheOnly = false
    public var dangling: Bool { tags.isEmpty && !cacheOnly }
    /// A build step or commit parent: hidden from `images` unless `-a`.
    public var intermediate: Bool { tags.isEmpty && (hasChildren || cacheOnly) }

    public init(
        id: String, created: Int64, addedAt: Int64, size: Int64, tags: [Tag], digests: [String],
        labels: [String: String], containers: Int
    ) {
        self.id = id; self.created = created; self.addedAt = addedAt; self.size = size; self.tags = tags
        self.digests = digests; self.labels = labels; self.containers = containers
    }
}

/// Everything `image inspect` shows.
public struct ImageDetail: Sendable {
    public var listing: ImageListing
    public var configJSON: String
    public var architecture: String?
    public var os: String?
    public var lastTagTime: Int64?
    public var layers: [(chainID: String, blobDigest: String, mediaType: String?)]
    /// The image it was made from (commit, build step), if recorded.
    public var parentID: String?
}

/// Read-side queries over images; shared by the CLI (direct) and berthd (API).
public enum ImageQueries {
    /// All images, newest first. Columns are read by position: this is `berth images`' hot path.
    public static func list(_ tx: StoreTransaction) throws -> [ImageListing] {
        let db = tx.db
        var tags: [String: [ImageListing.Tag]] = [:]
        let cursor = try Row.fetchCursor(db, sql: "SELECT image_id, repository, tag FROM tags ORDER BY repository, tag")
        while let r = try cursor.next() {
            tags[r[0], default: []].append(.init(repository: r[1], tag: r[2]))
        }
        var digests: [String: [String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT image_id, repository, digest FROM image_digests ORDER BY repository") {
            digests[r["image_id"], default: []].append((r["repository"] as String) + "@" + (r["digest"] as String))
        }
        var labels: [String: [String: String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT image_id, key, value FROM image_labels") {
            labels[r["image_id"], default: [:]][r["key"]] = r["value"]
        }
        var containers: [String: Int] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT image_id, count(*) AS n FROM containers GROUP BY image_id") {
            containers[r["image_id"]] = r["n"]
        }
        let parents = Set(try String.fetchAll(db, sql: "SELECT DISTINCT parent_id FROM images WHERE parent_id IS NOT NULL"))
        let cacheOnly = try cacheOnlyImages(tx)
        return try Row.fetchAll(
            db,
            sql: """
                SELECT id, coalesce(created, added_at) AS created, added_at, size FROM images
                ORDER BY coalesce(created, added_at) DESC, added_at DESC, id
                """
        ).map { r in
            let id: String = r["id"]
            var l = ImageListing(
                id: id, created: r["created"], addedAt: r["added_at"], size: r["size"],
                tags: tags[id] ?? [], digests: digests[id] ?? [], labels: labels[id] ?? [:],
                containers: containers[id] ?? 0)
            l.hasChildren = parents.contains(id)
            l.cacheOnly = cacheOnly.contains(id)
            return l
        }
    }

    /// Cached build steps that no build finished with: what a failed, cancelled or killed
    /// build left (the result of a finished build, tagged or not, is an image like any other).
    static func cacheOnlyImages(_ tx: StoreTransaction) throws -> Set<String> {
        Set(
            try String.fetchAll(
                tx.db,
                sql: """
                    SELECT image_id FROM build_cache
                    EXCEPT SELECT image_id FROM builds WHERE outcome = 'built'
                    """))
    }

    /// One image's listing row.
    public static func listing(_ tx: StoreTransaction, id: String) throws -> ImageListing? {
        let db = tx.db
        guard let r = try Row.fetchOne(db, sql: "SELECT id, coalesce(created, added_at) AS created, added_at, size FROM images WHERE id = ?", arguments: [id])
        else { return nil }
        let tags = try Row.fetchAll(db, sql: "SELECT repository, tag FROM tags WHERE image_id = ? ORDER BY repository, tag", arguments: [id])
            .map { ImageListing.Tag(repository: $0["repository"], tag: $0["tag"]) }
        let digests = try Row.fetchAll(db, sql: "SELECT repository, digest FROM image_digests WHERE image_id = ?", arguments: [id])
            .map { ($0["repository"] as String) + "@" + ($0["digest"] as String) }
        var labels: [String: String] = [:]
        for l in try Row.fetchAll(db, sql: "SELECT key, value FROM image_labels WHERE image_id = ?", arguments: [id]) {
            labels[l["key"]] = l["value"]
        }
        let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM containers WHERE image_id = ?", arguments: [id]) ?? 0
        return ImageListing(
            id: id, created: r["created"], addedAt: r["added_at"], size: r["size"], tags: tags,
            digests: digests, labels: labels, containers: n)
    }

    public static func detail(_ tx: StoreTransaction, id: String) throws -> ImageDetail? {
        let db = tx.db
        guard let listing = try listing(tx, id: id),
            let r = try Row.fetchOne(db, sql: "SELECT config_json, architecture, os, last_tag_time, parent_id FROM images WHERE id = ?", arguments: [id])
        else { return nil }
        let layers = try Row.fetchAll(
            db, sql: "SELECT chain_id, blob_digest, media_type FROM image_layers WHERE image_id = ? ORDER BY position", arguments: [id]
        )
        .map { (chainID: $0["chain_id"] as String, blobDigest: $0["blob_digest"] as String, mediaType: $0["media_type"] as String?) }
        return ImageDetail(
            listing: listing, configJSON: r["config_json"], architecture: r["architecture"],
            os: r["os"], lastTagTime: r["last_tag_time"], layers: layers, parentID: r["parent_id"])
    }

    /// The image a full tag name (`docker.io/library/busybox:latest`) points at.
    public static func imageForTag(_ tx: StoreTransaction, name: String) throws -> String? {
        let db = tx.db
        return try String.fetchOne(db, sql: "SELECT image_id FROM tags WHERE name = ?", arguments: [name])
    }

    /// The image known by `repository@digest`.
    public static func imageForDigest(_ tx: StoreTransaction, repository: String, digest: String) throws -> String? {
        let db = tx.db
        return try String.fetchOne(
            db, sql: "SELECT image_id FROM image_digests WHERE repository = ? AND digest = ?",
            arguments: [repository, digest])
    }

    /// Image ids starting with `sha256:<hexPrefix>`.
    public static func imagesWithIDPrefix(_ tx: StoreTransaction, hexPrefix: String) throws -> [String] {
        let db = tx.db
        guard Identifier.isHex(hexPrefix) else { return [] }
        return try String.fetchAll(
            db, sql: "SELECT id FROM images WHERE id >= ? AND id < ? LIMIT 2",
            arguments: ["sha256:" + hexPrefix, "sha256:" + hexPrefix + "g"])
    }
}

extension ImageQueries {
    /// Every image's size, by id (ps' virtual size).
    public static func sizes(_ tx: StoreTransaction) throws -> [String: Int64] {
        let db = tx.db
        var out: [String: Int64] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT id, size FROM images") { out[r[0]] = r[1] }
        return out
    }
}

extension ImageQueries {
    /// Familiar tags (`busybox:latest`) and short ids, for shell completion.
    public static func completionNames(_ tx: StoreTransaction) throws -> [String] {
        let tags = try String.fetchAll(tx.db, sql: "SELECT name FROM tags").map(ImageName.familiarTag)
        return tags + (try String.fetchAll(tx.db, sql: "SELECT substr(id, 8, 12) FROM images"))
    }
}

extension ImageQueries {
    /// `repository@sha256:…` names an image is known by (from registries it was pulled from).
    public static func repoDigests(_ tx: StoreTransaction, imageID: String) throws -> [String] {
        try Row.fetchAll(tx.db, sql: "SELECT repository, digest FROM image_digests WHERE image_id = ? ORDER BY repository", arguments: [imageID])
            .map { ($0[0] as String) + "@" + ($0[1] as String) }
    }
}

import BerthCore
import Foundation
import GRDB

/// What push reuses: the manifest an image was pulled with, and the compressed digests of
/// layers made here.
extension ImageStore {
    /// Keeps the platform manifest's bytes an image was pulled with.
    public static func setManifest(_ tx: StoreTransaction, imageID: String, json: String, mediaType: String) throws {
        try tx.db.execute(
            sql: "UPDATE images SET manifest_json = ?, manifest_media_type = ? WHERE id = ?", arguments: [json, mediaType, imageID])
    }

    /// The pulled manifest's bytes and media type, if kept.
    public static func manifest(_ tx: StoreTransaction, imageID: String) throws -> (json: String, mediaType: String)? {
        guard let r = try Row.fetchOne(tx.db, sql: "SELECT manifest_json, manifest_media_type FROM images WHERE id = ?", arguments: [imageID]),
            let json = r[0] as String?, let type = r[1] as String?
        else { return nil }
        return (json, type)
    }

    /// The compressed form of an uncompressed layer recorded at an earlier push.
    public static func compressedLayer(_ tx: StoreTransaction, diffID: String, mediaType: String) throws -> (digest: String, size: Int64)? {
        try Row.fetchOne(
            tx.db, sql: "SELECT digest, size FROM compressed_layers WHERE diff_id = ? AND media_type = ?", arguments: [diffID, mediaType]
        ).map { ($0[0], $0[1]) }
    }

    public static func recordCompressedLayer(_ tx: StoreTransaction, diffID: String, mediaType: String, digest: String, size: Int64) throws {
        try tx.db.execute(
            sql: "INSERT OR REPLACE INTO compressed_layers (diff_id, media_type, digest, size) VALUES (?, ?, ?, ?)",
            arguments: [diffID, mediaType, digest, size])
    }
}

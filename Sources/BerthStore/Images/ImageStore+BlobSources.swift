import BerthCore
import GRDB

extension ImageStore {
    /// Records that `registry`'s `repository` holds these blobs (after a pull or a push).
    public static func recordBlobSources(
        _ tx: StoreTransaction, digests: [String], registry: String, repository: String, at now: Int64
    ) throws {
        for d in digests {
            try tx.db.execute(
                sql: "INSERT OR REPLACE INTO blob_sources (digest, registry, repository, seen_at) VALUES (?, ?, ?, ?)",
                arguments: [d, registry, repository, now])
        }
    }

    /// Another repository of `registry` known to hold `digest`, the last seen first.
    public static func blobSource(_ tx: StoreTransaction, digest: String, registry: String, excluding repository: String) throws -> String? {
        try String.fetchOne(
            tx.db,
            sql: """
                SELECT repository FROM blob_sources WHERE digest = ? AND registry = ? AND repository != ?
                ORDER BY seen_at DESC LIMIT 1
                """, arguments: [digest, registry, repository])
    }
}

import GRDB

/// Counts `info` shows.
public enum SystemQueries {
    /// Containers by state, and the number of images.
    public static func counts(_ tx: StoreTransaction) throws -> (states: [String: Int], images: Int) {
        let db = tx.db
        let states = try [String: Int](
            uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM containers GROUP BY state")
                .map { ($0["state"], $0["n"]) })
        return (states, try Int.fetchOne(db, sql: "SELECT count(*) FROM images") ?? 0)
    }
}

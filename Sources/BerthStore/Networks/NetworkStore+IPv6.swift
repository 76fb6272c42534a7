import BerthCore
import GRDB

extension NetworkStore {
    /// The IPv6 addresses running containers hold on a network.
    public static func usedIP6s(_ tx: StoreTransaction, networkID: String) throws -> [String] {
        try String.fetchAll(
            tx.db, sql: "SELECT ip6 FROM network_attachments WHERE network_id = ? AND ip6 IS NOT NULL", arguments: [networkID])
    }

    /// Gives an attachment its IPv6 address for this run.
    public static func setIP6(_ tx: StoreTransaction, containerID: String, networkID: String, ip6: String) throws {
        try tx.db.execute(
            sql: "UPDATE network_attachments SET ip6 = ? WHERE container_id = ? AND network_id = ?", arguments: [ip6, containerID, networkID])
    }
}

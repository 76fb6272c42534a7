import BerthCore
import BerthStore
import Foundation

extension ContainerService {
    var networkRecords: String { paths.root + "/network-records.json" }

    /// Every network row kept in the root for `--rebuild-db` (after create, rm, prune, and the
    /// default network's set-up). Written without fsync: the database is the truth.
    func writeNetworkSnapshot() {
        do {
            let data = try store.read { db in try RowSnapshots.networks(db) }
            try FileOps.writeAtomically(data, to: networkRecords, mode: 0o600, durable: false)
        } catch {
            logger.warning("network records: \(error)")
        }
    }

    /// Puts the recorded networks back (before the containers, whose snapshots name them).
    func rebuildNetworks() throws -> Int {
        guard let data = FileManager.default.contents(atPath: networkRecords) else { return 0 }
        return try store.write { db in try RowSnapshots.restoreNetworks(db, data) }
    }
}

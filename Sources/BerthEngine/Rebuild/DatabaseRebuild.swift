import BerthCore
import BerthStore
import Foundation

/// `berthd --rebuild-db`: a new database from what the root holds — images from their records
/// and layer folders, containers from the snapshots in their folders (running ones are
/// re-adopted by the recovery that follows), volumes from their folders.
public enum DatabaseRebuild {
    public struct Report: Sendable, Equatable {
        public var images = 0
        public var containers = 0
        public var volumes = 0
    }

    /// Moves the database files aside (`berth.db.before-rebuild-TIME`, kept for an operator).
    public static func setAside(_ paths: BerthPaths) -> [String] {
        let stamp = Clock.rfc3339Nano(Clock.nowNanos()).replacingOccurrences(of: ":", with: "")
        var moved: [String] = []
        for f in [paths.database, paths.database + "-wal", paths.database + "-shm"] where FileOps.exists(f) {
            let to = f + ".before-rebuild-" + stamp
            if rename(f, to) == 0 { moved.append(to) }
        }
        return moved
    }

    /// Fills the (new, empty) database.
    public static func run(images: ImageService, containers: ContainerService) throws -> Report {
        var r = Report()
        r.images = try images.rebuildFromSnapshots()
        images.writeSnapshots()
        (r.containers, r.volumes) = try containers.rebuildFromSnapshots()
        try images.store.write { db in
            try Events.append(
                db, type: "daemon", action: "rebuild", actorID: "", actorName: "berthd",
                attributes: ["images": String(r.images), "containers": String(r.containers), "volumes": String(r.volumes)])
        }
        return r
    }
}

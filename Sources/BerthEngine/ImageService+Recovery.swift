import BerthCore
import BerthRuntime
import BerthStore
import Foundation

extension ImageService {
    /// What start-up cleaning found.
    public struct RecoveryReport: Sendable, Equatable {
        public var tempEntries = 0
        public var orphanBlobs = 0
        public var orphanLayers = 0
        public var missingLayers: [String] = []
        /// Unrecorded blobs and layers moved to lost+found instead of deleted.
        public var keptAside = 0
        public init() {}
        public var isEmpty: Bool { self == RecoveryReport() }
    }

    /// Run once at start, before serving: empties tmp/ and removes blob and layer files that no
    /// row records (left by a crash between placing files and recording them, or between
    /// deleting rows and files).
    public func recover(freshDatabase: Bool = false) throws -> RecoveryReport {
        var report = RecoveryReport()
        // A build berthd died in left its step mounts there: unmounted before anything is removed.
        Mounts.unmountUnder(paths.tmp)
        for e in (try? FileManager.default.contentsOfDirectory(atPath: paths.tmp)) ?? [] {
            FileOps.removeTree(paths.tmp + "/" + e)
            report.tempEntries += 1
        }
        // Verified downloads wait a day for the pull that wants them again (not those already
        // stored as blobs: a pull that recorded them was cut before its sweep).
        let dayAgo = Date().addingTimeInterval(-86400)
        for e in (try? FileManager.default.contentsOfDirectory(atPath: paths.downloads)) ?? [] {
            let p = paths.downloads + "/" + e
            let changed = (try? FileManager.default.attributesOfItem(atPath: p)[.modificationDate] as? Date) ?? .distantPast
            let stored = e.count == 64 && (try? store.read({ db in try ImageStore.hasBlob(db, digest: "sha256:" + e) })) == true
            if changed < dayAgo || e.count != 64 || !Identifier.isHex(e) || stored { FileOps.removeTree(p) }
        }
        let (layers, onDisk) = try removeUnrecorded(&report, freshDatabase: freshDatabase)
        report.missingLayers = layers.filter { !onDisk.contains(String($0.dropFirst(7))) }.sorted()
        if !report.missingLayers.isEmpty {
            logger.error("layers recorded but missing on disk: \(report.missingLayers.joined(separator: ", "))")
        }
        return report
    }

    /// Removes blob files and layer directories that no row records. Only safe while no
    /// image operation runs (at start, or on the image worker).
    @discardableResult
    func removeUnrecorded() throws -> RecoveryReport {
        var report = RecoveryReport()
        _ = try removeUnrecorded(&report)
        return report
    }

    func removeUnrecorded(_ report: inout RecoveryReport, freshDatabase: Bool = false) throws -> (recorded: Set<String>, onDisk: Set<String>) {
        let fm = FileManager.default
        let (blobs, layers) = try store.read { db in try ImageStore.recordedFiles(db) }
        let blobFiles = (try? fm.contentsOfDirectory(atPath: paths.blobs)) ?? []
        let orphanBlobs = blobFiles.filter { !blobs.contains("sha256:" + $0) }
        let onDisk = Set((try? fm.contentsOfDirectory(atPath: paths.layers)) ?? [])
        let orphanLayers = onDisk.filter { !layers.contains("sha256:" + $0) }
        // A lost or rolled-back database must not cost the host its images.
        let lost = LostAndFound(
            paths: paths, freshDatabase: freshDatabase, unrecorded: orphanBlobs.count + orphanLayers.count,
            recorded: blobs.count + layers.count)
        for f in orphanBlobs {
            if lost.keepUnrecorded, lost.keep(paths.blobs + "/" + f, kind: "blobs") { report.keptAside += 1; continue }
            FileOps.removeTree(paths.blobs + "/" + f)
            report.orphanBlobs += 1
        }
        for d in orphanLayers {
            if lost.keepUnrecorded, lost.keep(paths.layers + "/" + d, kind: "layers") { report.keptAside += 1; continue }
            FileOps.removeTree(paths.layers + "/" + d)
            report.orphanLayers += 1
        }
        if report.keptAside > 0 {
            logger.error(
                "the database records \(blobs.count) blobs and \(layers.count) layers but the root holds \(orphanBlobs.count + orphanLayers.count) more: the database looks lost or rolled back; nothing was deleted, \(report.keptAside) unrecorded blobs and layers were moved to \(lost.dir)"
            )
        }
        return (layers, onDisk)
    }
}

import BerthCore
import BerthStore
import Foundation

extension ImageService {
    /// What start-up cleaning found.
    public struct RecoveryReport: Sendable, Equatable {
        public var tempEntries = 0
        public var orphanBlobs = 0
        public var orphanLayers = 0
        public var missingLayers: [String] = []
        public init() {}
        public var isEmpty: Bool { self == RecoveryReport() }
    }

    /// Run once at start, before serving: empties tmp/ and removes blob and layer files that no
    /// row records (left by a crash between placing files and recording them, or between
    /// deleting rows and files).
    public func recover() throws -> RecoveryReport {
        var report = RecoveryReport()
        for e in (try? FileManager.default.contentsOfDirectory(atPath: paths.tmp)) ?? [] {
            FileOps.removeTree(paths.tmp + "/" + e)
            report.tempEntries += 1
        }
        let (layers, onDisk) = try removeUnrecorded(&report)
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

    func removeUnrecorded(_ report: inout RecoveryReport) throws -> (recorded: Set<String>, onDisk: Set<String>) {
        let fm = FileManager.default
        let (blobs, layers) = try store.read { db in
            (Set(try String.fetchAll(db, sql: "SELECT digest FROM blobs")),
             Set(try String.fetchAll(db, sql: "SELECT chain_id FROM layers")))
        }
        for f in (try? fm.contentsOfDirectory(atPath: paths.blobs)) ?? [] where !blobs.contains("sha256:" + f) {
            FileOps.removeTree(paths.blobs + "/" + f)
            report.orphanBlobs += 1
        }
        let onDisk = Set((try? fm.contentsOfDirectory(atPath: paths.layers)) ?? [])
        for d in onDisk where !layers.contains("sha256:" + d) {
            FileOps.removeTree(paths.layers + "/" + d)
            report.orphanLayers += 1
        }
        return (layers, onDisk)
    }
}

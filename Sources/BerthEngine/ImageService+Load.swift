import BerthCore
import BerthImage
import BerthStore
import Foundation

extension ImageService {
    /// `berth load`: stores every image of a docker-archive or OCI layout tarball.
    /// Returns Docker's lines: `Loaded image: busybox:latest` / `Loaded image ID: sha256:…`.
    public func load(archive: String) async throws -> [String] {
        try await mutate { [self] in try loadSync(archive: archive) }
    }

    func loadSync(archive: String) throws -> [String] {
        let staging = try FileOps.makeTempDir(in: paths.tmp, prefix: "load")
        defer { FileOps.removeTree(staging) }
        do {
            return try loadStaged(archive: archive, staging: staging)
        } catch {
            // Leave nothing behind: files this load placed but never recorded go.
            _ = try? removeUnrecorded()
            throw error
        }
    }

    func loadStaged(archive: String, staging: String) throws -> [String] {
        let images = try ImageArchive.read(archive, staging: staging)
        var known: [String: (Digest, Int64)] = [:]
        var lines: [String] = []
        for image in images {
            var prepared: [ImageService.PreparedLayer] = []
            for (i, l) in image.layers.enumerated() {
                let p = try prepareLayer(
                    path: l.path, mediaType: l.mediaType, expected: l.expectedDigest,
                    diffID: image.config.rootfs.diff_ids[i], parent: prepared.last?.chainID,
                    known: &known)
                prepared.append(p)
            }
            try store.write { db in
                try record(
                    db, id: image.id, configData: image.configData, config: image.config, layers: prepared,
                    manifestDigest: image.manifestDigest, names: image.names, action: "load",
                    now: Clock.nowNanos())
            }
            if image.names.isEmpty {
                lines.append("Loaded image ID: \(image.id)")
            } else {
                lines += image.names.map { "Loaded image: \($0.familiarString)" }
            }
        }
        return lines
    }
}

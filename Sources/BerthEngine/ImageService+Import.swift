import BerthCore
import BerthImage
import BerthStore
import Foundation

extension ImageService {
    /// `berth import`: a rootfs tarball (any compression) becomes a one-layer image.
    /// Returns the new image id.
    public func importImage(
        archive: String, reference: String?, changes: [String], message: String?,
        platform: String? = nil
    ) async throws -> String {
        try await mutate { [self] in
            do {
                return try importSync(archive: archive, reference: reference, changes: changes, message: message)
            } catch {
                _ = try? removeUnrecorded()
                throw error
            }
        }
    }

    func importSync(archive: String, reference: String?, changes: [String], message: String?) throws -> String {
        let ref = try reference.map { try Reference.parseTagged($0) }
        var cc = ContainerConfig()
        try ConfigChanges.apply(changes, to: &cc)
        let staging = try FileOps.makeTempDir(in: paths.tmp, prefix: "import")
        defer { FileOps.removeTree(staging) }
        // Keep the layer uncompressed: its digest is then its diff id, and save is a copy.
        let layerPath = staging + "/layer.tar"
        try Decompress.toFile(archive, layerPath)
        let (diffID, _) = try Digest.ofFile(layerPath)
        var known: [String: (Digest, Int64)] = [:]
        let layer = try prepareLayer(
            path: layerPath, mediaType: MediaType.ociLayer, expected: nil, diffID: diffID,
            parent: nil, known: &known)
        let now = Clock.nowNanos()
        var config = ImageConfig(
            architecture: ImageConfig.hostArchitecture, os: "linux",
            rootfs: RootFS(diffIDs: [diffID]))
        config.created = Clock.rfc3339Nano(now)
        config.config = cc
        config.comment = message
        config.history = [
            History(
                created: config.created, created_by: nil, author: nil,
                comment: message ?? "Imported from -", empty_layer: nil)
        ]
        let data = try JSONCoding.encode(config)
        let id = Digest.of(data)
        try store.write { db in
            try record(
                db, id: id, configData: data, config: config, layers: [layer], manifestDigest: nil,
                names: ref.map { [$0] } ?? [], action: "import", now: now)
        }
        return id.string
    }
}

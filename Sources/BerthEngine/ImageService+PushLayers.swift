import BerthCore
import BerthImage
import BerthRegistry
import BerthStore
import Foundation

/// What a push sends for an image: the manifest it was pulled with when it still describes
/// the image (so its digest does not change), else compressed layers under a new manifest.
struct PushPlan {
    var layers: [ImagePusher.Blob]
    var oci: Bool
    var manifest: (data: Data, mediaType: String)?
    /// Where this push's compressed layers go (in berthd's tmp), removed after it; nil when
    /// nothing is compressed.
    var temporary: String?
}

extension ImageService {
    func pushPlan(imageID: String, detail: ImageDetail) throws -> PushPlan {
        // As pulled: every blob the manifest names is here, and its config is this image's.
        if let kept = try store.read({ db in try ImageStore.manifest(db, imageID: imageID) }),
            let m = try? JSONDecoder().decode(Manifest.self, from: Data(kept.json.utf8)), m.config.digest.string == imageID,
            m.layers.map(\.digest.string) == detail.layers.map(\.blobDigest),
            m.layers.allSatisfy({ FileOps.exists(paths.blob($0.digest.hex)) })
        {
            let blobs = m.layers.map { ImagePusher.Blob(path: paths.blob($0.digest.hex), digest: $0.digest, mediaType: $0.mediaType, size: $0.size) }
            return PushPlan(layers: blobs, oci: kept.mediaType == MediaType.ociManifest, manifest: (Data(kept.json.utf8), kept.mediaType))
        }
        let temp = try FileOps.makeTempDir(in: paths.tmp, prefix: "push")
        do {
            let config = try JSONDecoder().decode(ImageConfig.self, from: Data(detail.configJSON.utf8))
            let oci = detail.layers.contains { ($0.mediaType ?? "").hasPrefix("application/vnd.oci.") }
            var blobs: [ImagePusher.Blob] = []
            for (i, l) in detail.layers.enumerated() {
                let digest = try Digest(parsing: l.blobDigest)
                let path = paths.blob(digest.hex)
                let type = l.mediaType ?? MediaType.dockerLayer
                let plain = type == MediaType.dockerLayer || type == MediaType.ociLayer || (try? Compression.sniff(path: path)) == Compression.none
                guard plain, i < config.rootfs.diff_ids.count else {
                    blobs.append(.init(path: path, digest: digest, mediaType: type, size: FileOps.size(path)))
                    continue
                }
                blobs.append(try compressedBlob(path: path, diffID: config.rootfs.diff_ids[i], oci: oci, temp: temp))
            }
            return PushPlan(layers: blobs, oci: oci, manifest: nil, temporary: temp)
        } catch {
            FileOps.removeTree(temp)
            throw error
        }
    }

    /// A plain-tar layer as gzip: its recorded compressed digest when an earlier push made
    /// one (compressed again only if the registry lacks it), else compressed now and recorded.
    func compressedBlob(path: String, diffID: Digest, oci: Bool, temp: String) throws -> ImagePusher.Blob {
        let type = oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip
        let out = temp + "/" + diffID.hex + ".gz"
        let store = self.store
        if let known = try store.read({ db in try ImageStore.compressedLayer(db, diffID: diffID.string, mediaType: type) }) {
            let digest = try Digest(parsing: known.digest)
            return .init(digest: digest, mediaType: type, size: known.size) {
                let (again, _) = try Gzip.compress(path, to: out)
                // gzip of the same bytes by the same zlib is the same; if not, say so.
                guard again == digest else {
                    throw BerthError.internal("layer \(diffID) compressed to \(again), not the \(digest) recorded earlier")
                }
                return out
            }
        }
        let (digest, size) = try Gzip.compress(path, to: out)
        try store.write { db in
            try ImageStore.recordCompressedLayer(db, diffID: diffID.string, mediaType: type, digest: digest.string, size: size)
        }
        return .init(path: out, digest: digest, mediaType: type, size: size)
    }
}

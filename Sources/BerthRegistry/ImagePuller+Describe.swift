import BerthCore
import BerthImage
import Foundation

/// GET /distribution/{name}/json: what a registry says a name is, without pulling it.
public struct DistributionInspect: Codable, Sendable, Equatable {
    public struct DescriptorInfo: Codable, Sendable, Equatable {
        public var mediaType: String
        public var digest: String
        public var size: Int64
    }
    public var Descriptor: DescriptorInfo
    public var Platforms: [Platform]
}

extension ImagePuller {
    /// The manifest (or index) the reference names, and the platforms it serves: the index's
    /// entries, or the single image's config.
    public func describe(_ ref: Reference) async throws -> DistributionInspect {
        let repo = ref.path
        let scope = "repository:\(repo):pull"
        let named = ref.digest?.string ?? ref.tag ?? Reference.defaultTag
        let (body, type, digest) = try await manifest(repo, named, scope: scope, ref: ref)
        if let d = ref.digest, d != digest { throw BerthError.corrupt("manifest digest mismatch: asked for \(d), got \(digest)") }
        var platforms: [Platform] = []
        if type == MediaType.ociIndex || type == MediaType.dockerManifestList {
            let index = try JSONDecoder().decode(Index.self, from: body)
            platforms = index.manifests.compactMap(\.platform).filter { $0.os != "unknown" }
        } else {
            let m = try JSONDecoder().decode(Manifest.self, from: body)
            let cfg = try JSONDecoder().decode(ImageConfig.self, from: try await blob(repo, m.config.digest, scope: scope))
            platforms = [Platform(architecture: cfg.architecture, os: cfg.os, variant: cfg.variant)]
        }
        return DistributionInspect(
            Descriptor: .init(mediaType: type, digest: digest.string, size: Int64(body.count)), Platforms: platforms)
    }
}

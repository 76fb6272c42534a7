import BerthCore
import BerthImage
import Foundation

/// An image fetched from a registry, its blobs verified and waiting in a staging folder.
public struct PulledImage: Sendable {
    public struct Layer: Sendable {
        public var path: String
        public var mediaType: String
        public var digest: Digest
        /// False for a layer the host had already (`Already exists`).
        public var fetched: Bool
    }
    /// The digest of what the tag named (an index or a manifest): the repo digest.
    public var manifestDigest: Digest
    public var configData: Data
    public var config: ImageConfig
    public var configDigest: Digest
    public var layers: [Layer]
    /// The platform manifest's bytes and media type, when a push can send them back as they
    /// are (every layer fetched: none foreign).
    public var manifest: (data: Data, mediaType: String)?
}

/// Pulls one image: manifest (an index or manifest list resolved to this host's platform),
/// config and layers, every blob checked against its digest before it is used.
public struct ImagePuller: Sendable {
    public let client: RegistryClient
    public var os = "linux"
    public var architecture = HostFacts.goArch
    public var variant: String?
    /// Layers fetched at once (Docker's default).
    public var parallel = 3
    /// Hears each layer blob once it is fetched and its digest checked (file in the pull's dir).
    public var verified: (@Sendable (Digest, String) -> Void)?
    /// Hears each layer download as it starts (its index, the config's diff id for it, and the
    /// file as it grows), so the layer can be unpacked while it arrives.
    public var following: (@Sendable (Int, Digest, GrowingFile) -> Void)?
    /// Shared with other pulls: a blob one of them is fetching is waited for, not fetched again
    /// (`stored` then finds what `verified` kept).
    public var claims: DownloadClaims?

    public init(client: RegistryClient) { self.client = client }

    /// `--platform os/arch[/variant]` (`linux/arm64/v8`); berth runs this host's, but may fetch others.
    public mutating func select(platform: String) throws {
        let p = platform.lowercased().split(separator: "/").map(String.init)
        guard (2...3).contains(p.count), p.allSatisfy({ !$0.isEmpty }) else {
            throw BerthError.invalid("invalid platform \"\(platform)\": expected os/arch[/variant]")
        }
        os = p[0]
        architecture = p[1] == "x86_64" ? "amd64" : p[1] == "aarch64" ? "arm64" : p[1]
        variant = p.count == 3 ? p[2] : nil
        platformAsked = true
    }

    /// An asked platform holds for single-platform images too (their config names theirs).
    var platformAsked = false

    static let manifestTypes = [
        MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest,
    ]

    /// `progress` hears Docker's per-layer lines (`Pulling fs layer`, `Download complete`, …).
    /// `stored` names the file of a blob the host has already (verified when it was stored):
    /// such a layer is not fetched again.
    public func pull(
        _ ref: Reference, into dir: String, stored: @escaping @Sendable (Digest) -> String? = { _ in nil },
        progress: @escaping @Sendable (String, String) -> Void = { _, _ in }
    ) async throws -> PulledImage {
        let repo = ref.path
        let scope = "repository:\(repo):pull"
        let named = ref.digest?.string ?? ref.tag ?? Reference.defaultTag
        let (top, topType, topDigest) = try await manifest(repo, named, scope: scope, ref: ref)
        if let d = ref.digest, d != topDigest { throw BerthError.corrupt("manifest digest mismatch: asked for \(d), got \(topDigest)") }
        var body = top, type = topType
        if type == MediaType.ociIndex || type == MediaType.dockerManifestList {
            let index = try JSONDecoder().decode(Index.self, from: top)
            guard let pick = choose(index.manifests) else {
                throw BerthError.notFound("no matching manifest for \(os)/\(architecture)\(variant.map { "/" + $0 } ?? "") in the manifest list entries")
            }
            let (m, t, d) = try await manifest(repo, pick.digest.string, scope: scope, ref: ref)
            guard d == pick.digest else { throw BerthError.corrupt("manifest digest mismatch: expected \(pick.digest), got \(d)") }
            (body, type) = (m, t)
        }
        guard type == MediaType.ociManifest || type == MediaType.dockerManifest else {
            throw BerthError.invalid("unsupported manifest type \(type) for \(ref.familiarString)")
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: body)
        let configData = try await blob(repo, manifest.config.digest, scope: scope)
        let config = try JSONDecoder().decode(ImageConfig.self, from: configData)
        if platformAsked && (config.os != os || config.architecture != architecture) {
            throw BerthError.notFound(
                "image with reference \(ref.familiarString) was found but does not match the specified platform: wanted \(os)/\(architecture), actual: \(config.os)/\(config.architecture)"
            )
        }
        // Foreign (non-distributable) layers are not fetched, as Docker does.
        let wanted = manifest.layers.filter { !$0.mediaType.contains("foreign") && !$0.mediaType.contains("nondistributable") }
        guard wanted.count == config.rootfs.diff_ids.count else {
            throw BerthError.corrupt("manifest has \(wanted.count) layers but the config names \(config.rootfs.diff_ids.count)")
        }
        // Docker's order: a layer the host has is "Already exists" at once, the others wait.
        for l in wanted { progress(String(l.digest.hex.prefix(12)), stored(l.digest) == nil ? "Pulling fs layer" : "Already exists") }
        var layers = [PulledImage.Layer?](repeating: nil, count: wanted.count)
        let diffIDs = config.rootfs.diff_ids
        // Children report their failure instead of throwing: after the first failure no new
        // download starts; those running finish (their files kept for the next pull), then it throws.
        var failure: (any Error)?
        await withTaskGroup(of: (Int, Result<PulledImage.Layer, any Error>).self) { group in
            var next = 0
            func add() {
                guard next < wanted.count, failure == nil else { return }
                let i = next, l = wanted[i]
                next += 1
                group.addTask {
                    do {
                        while true {
                            // A pull whose client went away stops here too (also after waiting on another's fetch).
                            try Task.checkCancellation()
                            if let have = stored(l.digest) {
                                return (i, .success(PulledImage.Layer(path: have, mediaType: l.mediaType, digest: l.digest, fetched: false)))
                            }
                            guard let claims else { break }
                            if await claims.claim(l.digest) { break }
                        }
                        let path = dir + "/" + l.digest.hex
                        let growing = following.map { hear in
                            let g = GrowingFile(path: path)
                            hear(i, diffIDs[i], g)
                            return g
                        }
                        do {
                            try await blobFile(repo, l.digest, size: l.size, growing: growing, scope: scope, to: path)
                            verified?(l.digest, path)
                        } catch {
                            // (Also for a failure before the download began: its reader must not wait.)
                            growing?.fail()
                            await claims?.done(l.digest)
                            throw error
                        }
                        await claims?.done(l.digest)
                        progress(String(l.digest.hex.prefix(12)), "Download complete")
                        return (i, .success(PulledImage.Layer(path: path, mediaType: l.mediaType, digest: l.digest, fetched: true)))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            for _ in 0..<parallel { add() }
            while let (i, result) = await group.next() {
                switch result {
                case .success(let layer): layers[i] = layer
                case .failure(let e): if failure == nil { failure = e }
                }
                add()
            }
        }
        if let failure { throw failure }
        return PulledImage(
            manifestDigest: topDigest, configData: configData, config: config, configDigest: manifest.config.digest,
            layers: layers.compactMap { $0 }, manifest: wanted.count == manifest.layers.count ? (body, type) : nil)
    }

    /// The index entry for this platform (Docker's rule: os and architecture, variant if set).
    func choose(_ entries: [Descriptor]) -> Descriptor? {
        let candidates = entries.filter { $0.platform?.os == os && $0.platform?.architecture == architecture }
        if let v = variant, let exact = candidates.first(where: { $0.platform?.variant == v }) { return exact }
        return candidates.first
    }

    func manifest(_ repo: String, _ name: String, scope: String, ref: Reference) async throws -> (Data, String, Digest) {
        let r = try await client.get("\(repo)/manifests/\(name)", accept: Self.manifestTypes, scope: scope)
        switch r.status {
        case 200: break
        case 401, 403:
            throw BerthError(.permissionDenied, "pull access denied for \(ref.familiarName), repository does not exist or may require 'docker login'")
        case 404:
            throw BerthError.notFound("manifest for \(ref.familiarString) not found: manifest unknown: manifest unknown")
        default:
            throw BerthError.internal("error from registry \(client.host): \(RegistryClient.errorText(r))")
        }
        let digest = Digest.of(r.body)
        var type = r.header("Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        struct Probe: Decodable { var mediaType: String?; var schemaVersion: Int? }
        let probe = try? JSONDecoder().decode(Probe.self, from: r.body)
        if probe?.schemaVersion == 1 || type.contains("distribution.manifest.v1") {
            throw BerthError.invalid(
                "\(ref.familiarString) uses a Docker image manifest schema 1, which berth does not support: push it again with a current client")
        }
        if let t = probe?.mediaType, !t.isEmpty { type = t }
        return (r.body, type, digest)
    }

    /// A layer blob into `path`, checked against its digest as it streams.
    func blobFile(_ repo: String, _ digest: Digest, size: Int64, growing: GrowingFile?, scope: String, to path: String) async throws {
        let r = try await client.download("\(repo)/blobs/\(digest)", to: path, digest: digest, size: size, growing: growing, scope: scope)
        guard r.status == 200 else {
            throw BerthError.internal("fetching blob \(digest) from \(client.host): \(RegistryClient.errorText(r))")
        }
    }

    func blob(_ repo: String, _ digest: Digest, scope: String) async throws -> Data {
        let r = try await client.get("\(repo)/blobs/\(digest)", scope: scope)
        guard r.status == 200 else {
            throw BerthError.internal("fetching blob \(digest) from \(client.host): \(RegistryClient.errorText(r))")
        }
        let got = Digest.of(r.body)
        guard got == digest else { throw BerthError.corrupt("blob digest mismatch: expected \(digest), got \(got)") }
        return r.body
    }
}

extension RegistryClient {
    /// The repository's tags (GET /v2/NAME/tags/list), following the `Link: <…>; rel="next"` pages.
    public func tags(_ repo: String) async throws -> [String] {
        struct Page: Decodable { var tags: [String]? }
        let scope = "repository:\(repo):pull"
        var path = repo + "/tags/list?n=1000"
        var out: [String] = []
        for _ in 0..<100 {
            let r = try await get(path, scope: scope)
            guard r.status == 200 else {
                throw BerthError(r.status == 404 ? .notFound : .internalError, "listing tags of \(repo): \(Self.errorText(r))")
            }
            out += (try? JSONDecoder().decode(Page.self, from: r.body))?.tags ?? []
            guard let link = r.header("Link"), let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"),
                link.contains("rel=\"next\"")
            else { break }
            path = String(link[link.index(after: open)..<close])
        }
        return out
    }
}

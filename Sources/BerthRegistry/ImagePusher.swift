import BerthCore
import BerthImage
import Foundation

/// Pushes one image: each blob the registry lacks (checked with HEAD first), then the manifest
/// under the tag. Returns the manifest's digest and size.
public struct ImagePusher: Sendable {
    public let client: RegistryClient

    /// Another repository of this registry that holds a blob (berth saw it there): the blob is
    /// mounted from it rather than uploaded.
    public var mountFrom: @Sendable (Digest) -> String? = { _ in nil }
    /// Blobs larger than this go up in PATCH chunks of this size (read one at a time, so a big
    /// layer never sits in memory); smaller ones in one PUT.
    public var chunkSize = 8 << 20

    public init(client: RegistryClient) { self.client = client }

    public struct Blob: Sendable {
        public var path: String
        public var digest: Digest
        public var mediaType: String
        public var size: Int64
        public init(path: String, digest: Digest, mediaType: String, size: Int64) {
            self.path = path; self.digest = digest; self.mediaType = mediaType; self.size = size
        }
    }

    /// `progress(id, status)`: `Pushed`, `Mounted from REPO` or `Layer already exists` per layer.
    public func push(
        repository repo: String, tag: String, config: Data, layers: [Blob],
        progress: @Sendable (String, String) -> Void = { _, _ in }
    ) async throws -> (digest: Digest, size: Int) {
        let scope = "repository:\(repo):pull,push"
        for l in layers {
            let sent = try await upload(repo, digest: l.digest, scope: scope, file: l.path) {
                try Data(contentsOf: URL(fileURLWithPath: l.path))
            }
            progress(String(l.digest.hex.prefix(12)), sent.map { $0.map { "Mounted from " + $0 } ?? "Pushed" } ?? "Layer already exists")
        }
        let configDigest = Digest.of(config)
        _ = try await upload(repo, digest: configDigest, scope: scope) { config }
        // Docker's schema 2 manifest, which every registry and client reads.
        let manifest = Manifest(
            schemaVersion: 2, mediaType: MediaType.dockerManifest,
            config: Descriptor(mediaType: MediaType.dockerConfig, digest: configDigest, size: Int64(config.count)),
            layers: layers.map { Descriptor(mediaType: Self.dockerLayerType($0.mediaType), digest: $0.digest, size: $0.size) },
            annotations: nil)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try enc.encode(manifest)
        let r = try await client.request("PUT", "\(repo)/manifests/\(tag)", body: body, contentType: MediaType.dockerManifest, scope: scope)
        guard r.status == 201 || r.status == 200 else {
            throw BerthError.internal("pushing the manifest to \(client.host): \(RegistryClient.errorText(r))")
        }
        return (Digest.of(body), body.count)
    }

    /// OCI layer types map to Docker's in a schema 2 manifest.
    static func dockerLayerType(_ t: String) -> String {
        switch t {
        case MediaType.ociLayerGzip: return MediaType.dockerLayerGzip
        case MediaType.ociLayer: return MediaType.dockerLayer
        default: return t
        }
    }

    /// Uploads one blob unless the registry has it: nil when it had, `.some(nil)` when sent,
    /// `.some(repo)` when mounted from another repository.
    func upload(_ repo: String, digest: Digest, scope: String, file: String? = nil, data: () throws -> Data) async throws -> String?? {
        let head = try await client.request("HEAD", "\(repo)/blobs/\(digest)", scope: scope)
        if head.status == 200 { return nil }
        var post = "\(repo)/blobs/uploads/"
        let from = mountFrom(digest)
        if let from, from != repo {
            post += "?mount=\(digest)&from=" + (from.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? from)
        }
        let start = try await client.request("POST", post, scope: scope)
        // 201: mounted; 202: the registry would not (or could not), and opened an upload instead.
        if start.status == 201, let from { return .some(from) }
        guard start.status == 202, let location = start.header("Location") else {
            if start.status == 401 || start.status == 403 {
                throw BerthError(.permissionDenied, "denied: requested access to the resource is denied")
            }
            throw BerthError.internal("starting an upload to \(client.host): \(RegistryClient.errorText(start))")
        }
        var at = location
        var body: Data?
        if let file, FileOps.size(file) > Int64(chunkSize) {
            at = try await patchChunks(file, to: location, scope: scope)
        } else {
            body = try data()
        }
        let sep = at.contains("?") ? "&" : "?"
        let put = try await client.request(
            "PUT", at + sep + "digest=" + digest.string, body: body ?? Data(), contentType: "application/octet-stream", scope: scope)
        guard put.status == 201 || put.status == 204 else {
            throw BerthError.internal("uploading \(digest) to \(client.host): \(RegistryClient.errorText(put))")
        }
        return .some(nil)
    }

    /// The distribution API's chunked upload: PATCH after PATCH with `Content-Range`, each to the
    /// `Location` the last answer gave; returns where the closing PUT goes.
    func patchChunks(_ file: String, to location: String, scope: String) async throws -> String {
        guard let fh = FileHandle(forReadingAtPath: file) else { throw BerthError.posix("open \(file)") }
        defer { try? fh.close() }
        var at = location
        var offset = 0
        while let chunk = try fh.read(upToCount: chunkSize), !chunk.isEmpty {
            let r = try await client.request(
                "PATCH", at, body: chunk, contentType: "application/octet-stream",
                headers: ["Content-Range": "\(offset)-\(offset + chunk.count - 1)"], scope: scope)
            guard r.status == 202, let next = r.header("Location") else {
                throw BerthError.internal("uploading a chunk to \(client.host): \(RegistryClient.errorText(r))")
            }
            offset += chunk.count
            at = next
        }
        return at
    }
}

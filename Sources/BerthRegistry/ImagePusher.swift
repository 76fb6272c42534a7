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
        public var digest: Digest
        public var mediaType: String
        public var size: Int64
        /// The file to send; called only when the registry lacks the blob (a layer made here
        /// is compressed then, not before its HEAD).
        public var file: @Sendable () throws -> String
        public init(path: String, digest: Digest, mediaType: String, size: Int64) {
            self.init(digest: digest, mediaType: mediaType, size: size) { path }
        }
        public init(digest: Digest, mediaType: String, size: Int64, file: @escaping @Sendable () throws -> String) {
            self.digest = digest; self.mediaType = mediaType; self.size = size; self.file = file
        }
    }

    /// `progress(id, status)`: `Pushed`, `Mounted from REPO` or `Layer already exists` per layer.
    /// With `manifest` (bytes and media type, as pulled) those bytes go up unchanged and the
    /// image keeps its digest; otherwise a manifest is written for `layers`, OCI's when `oci`,
    /// else Docker's schema 2.
    public func push(
        repository repo: String, tag: String, config: Data, layers: [Blob], oci: Bool = false,
        manifest kept: (data: Data, mediaType: String)? = nil,
        progress: @Sendable (String, String) -> Void = { _, _ in }
    ) async throws -> (digest: Digest, size: Int) {
        let scope = "repository:\(repo):pull,push"
        for l in layers {
            let sent = try await upload(repo, digest: l.digest, scope: scope, file: l.file)
            progress(String(l.digest.hex.prefix(12)), sent.map { $0.map { "Mounted from " + $0 } ?? "Pushed" } ?? "Layer already exists")
        }
        let configDigest = Digest.of(config)
        _ = try await upload(repo, digest: configDigest, scope: scope, data: config)
        let body: Data, type: String
        if let kept {
            (body, type) = kept
        } else {
            type = oci ? MediaType.ociManifest : MediaType.dockerManifest
            let manifest = Manifest(
                schemaVersion: 2, mediaType: type,
                config: Descriptor(mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig, digest: configDigest, size: Int64(config.count)),
                layers: layers.map { Descriptor(mediaType: Self.layerType($0.mediaType, oci: oci), digest: $0.digest, size: $0.size) },
                annotations: nil)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = try enc.encode(manifest)
        }
        let r = try await client.request("PUT", "\(repo)/manifests/\(tag)", body: body, contentType: type, scope: scope)
        guard r.status == 201 || r.status == 200 else {
            throw BerthError.internal("pushing the manifest to \(client.host): \(RegistryClient.errorText(r))")
        }
        return (Digest.of(body), body.count)
    }

    /// A layer's type in the family of the manifest it goes in.
    static func layerType(_ t: String, oci: Bool) -> String {
        let pairs = [
            (MediaType.ociLayerGzip, MediaType.dockerLayerGzip), (MediaType.ociLayer, MediaType.dockerLayer),
        ]
        for (o, d) in pairs where t == o || t == d { return oci ? o : d }
        return t
    }

    /// Uploads one blob unless the registry has it: nil when it had, `.some(nil)` when sent,
    /// `.some(repo)` when mounted from another repository.
    func upload(_ repo: String, digest: Digest, scope: String, data: Data) async throws -> String?? {
        try await upload(repo, digest: digest, scope: scope, file: nil, data: data)
    }

    func upload(_ repo: String, digest: Digest, scope: String, file: @escaping @Sendable () throws -> String) async throws -> String?? {
        try await upload(repo, digest: digest, scope: scope, file: file, data: nil)
    }

    private func upload(_ repo: String, digest: Digest, scope: String, file makeFile: (@Sendable () throws -> String)?, data: Data?) async throws -> String?? {
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
        var body = data
        if let makeFile {
            let file = try makeFile()
            if FileOps.size(file) > Int64(chunkSize) {
                at = try await patchChunks(file, to: location, scope: scope)
            } else {
                body = try Data(contentsOf: URL(fileURLWithPath: file))
            }
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

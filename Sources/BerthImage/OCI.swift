import BerthCore
import Foundation

/// OCI and Docker media types berth reads and writes.
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
}

/// OCI content descriptor.
public struct Descriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
    }
}

public struct Platform: Codable, Sendable, Equatable {
    public var architecture: String
    public var os: String
    public var variant: String?
    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }
}

/// OCI image manifest (also reads Docker schema 2).
public struct Manifest: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(schemaVersion: Int, mediaType: String?, config: Descriptor, layers: [Descriptor], annotations: [String: String]?) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// OCI image index (also reads Docker manifest lists).
public struct Index: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?
}

/// The `config` part of an image configuration (Docker's field names).
public struct ContainerConfig: Codable, Sendable, Equatable {
    public var User: String?
    public var ExposedPorts: [String: EmptyObject]?
    public var Env: [String]?
    public var Entrypoint: [String]?
    public var Cmd: [String]?
    public var Volumes: [String: EmptyObject]?
    public var WorkingDir: String?
    public var Labels: [String: String]?
    public var StopSignal: String?
    public var Healthcheck: HealthConfig?
    public var ArgsEscaped: Bool?
    public var OnBuild: [String]?
    public var Shell: [String]?

    public init() {}
}

public struct RootFS: Codable, Sendable, Equatable {
    public var type: String
    public var diff_ids: [Digest]
    public init(diffIDs: [Digest]) { type = "layers"; diff_ids = diffIDs }
}

public struct History: Codable, Sendable, Equatable {
    public var created: String?
    public var created_by: String?
    public var author: String?
    public var comment: String?
    public var empty_layer: Bool?

    public init(
        created: String? = nil, created_by: String? = nil, author: String? = nil,
        comment: String? = nil, empty_layer: Bool? = nil
    ) {
        self.created = created
        self.created_by = created_by
        self.author = author
        self.comment = comment
        self.empty_layer = empty_layer
    }
}

/// OCI image configuration: what an image id is the digest of.
public struct ImageConfig: Codable, Sendable, Equatable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?
    public var comment: String?

    public init(architecture: String, os: String, rootfs: RootFS) {
        self.architecture = architecture
        self.os = os
        self.rootfs = rootfs
    }

    /// The host's architecture in OCI words.
    public static var hostArchitecture: String { HostFacts.goArch }
}

/// One entry of a docker-archive `manifest.json`.
public struct DockerArchiveManifestEntry: Codable, Sendable {
    public var Config: String
    public var RepoTags: [String]?
    public var Layers: [String]
    public init(Config: String, RepoTags: [String]?, Layers: [String]) {
        self.Config = Config
        self.RepoTags = RepoTags
        self.Layers = Layers
    }
}

/// JSON coding as berth writes it: sorted keys for stable digests.
public enum JSONCoding {
    public static func encode<T: Encodable>(_ v: T, pretty: Bool = false) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting =
            pretty
            ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            : [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(v)
    }

    public static func decode<T: Decodable>(_ t: T.Type, from data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(t, from: data)
        } catch {
            throw BerthError.corrupt("invalid \(what): \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \(key.stringValue)"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "bad value at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let ctx):
            if let u = ctx.underlyingError as? BerthError { return u.message }
            return "not valid JSON"
        default: return String(describing: error)
        }
    }
}

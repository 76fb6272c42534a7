import BerthCore
import BerthImage
import BerthStore
import Foundation
import Logging

/// The image store's write side: load, import, tag, remove, prune, save. Files are put in
/// place first and recorded after, in one transaction with their events, so a crash leaves at
/// worst orphaned files, which `recover()` removes at the next start.
public final class ImageService: Sendable {
    public let store: Store
    public let paths: BerthPaths
    let unpacker: LayerUnpacker
    let worker = SerialWorker(label: "berth.images")
    let logger: Logger
    /// Registries spoken to over plain HTTP besides loopback (`berthd --insecure-registry`).
    public let insecureRegistries: Set<String>
    /// Docker Hub's mirrors (`berthd --registry-mirror`), tried in order before the Hub.
    public let registryMirrors: [URL]
    /// Per-registry CAs and client certificates, Docker's certs.d layout (`berthd --certs-dir`).
    public let certsDir: String?

    public init(
        store: Store, paths: BerthPaths, unpacker: LayerUnpacker = LayerUnpacker(),
        logger: Logger = Logger(label: "berth.images"), insecureRegistries: Set<String> = [], registryMirrors: [URL] = [],
        certsDir: String? = nil
    ) {
        self.certsDir = certsDir
        self.store = store
        self.paths = paths
        self.unpacker = unpacker
        self.logger = logger
        self.insecureRegistries = insecureRegistries
        self.registryMirrors = registryMirrors
    }

    /// A layer's blob and unpacked directory, ready to be recorded.
    struct PreparedLayer {
        var blob: Digest
        var blobSize: Int64
        var mediaType: String
        var diffID: Digest
        var chainID: Digest
        var parent: Digest?
        var size: Int64

        var row: ImageStore.LayerRow {
            .init(
                blob: blob.string, blobSize: blobSize, mediaType: mediaType, diffID: diffID.string, chainID: chainID.string,
                parent: parent?.string, size: size)
        }
    }

    /// Verifies and moves a staged layer file into the content store, unpacks its chain layer
    /// if not yet unpacked. `known` caches digests of files already moved.
    func prepareLayer(
        path: String, mediaType: String, expected: Digest?, diffID expectedDiff: Digest?,
        parent: Digest?, known: inout [String: (Digest, Int64)], unpacked pre: Unpacked? = nil
    ) throws -> PreparedLayer {
        let (blob, size): (Digest, Int64)
        if let k = known[path] {
            (blob, size) = k
        } else {
            (blob, size) = try Digest.ofFile(path)
            known[path] = (blob, size)
        }
        if let expected, expected != blob {
            throw BerthError.corrupt("layer blob digest mismatch: expected \(expected), got \(blob)")
        }
        let blobPath = paths.blob(blob.hex)
        let stored = FileOps.exists(blobPath)
        let source = stored ? blobPath : path
        // A plain tar's diff id is its blob digest, already computed.
        let diffID = try pre?.diffID ?? (Compression.sniff(path: source) == .none ? blob : try Decompress.digest(source).0)
        if let expectedDiff, expectedDiff != diffID {
            throw Self.diffIDMismatch(expected: expectedDiff, got: diffID)
        }
        if !stored {
            guard rename(path, blobPath) == 0 else { throw BerthError.posix("store blob \(blob)") }
        }
        let chainID = parent.map { Digest.of(Array("\($0) \(diffID)".utf8)) } ?? diffID
        let unpacked = try ensureUnpacked(chainID: chainID, blobPath: blobPath, pre: pre)
        return PreparedLayer(
            blob: blob, blobSize: size, mediaType: mediaType, diffID: diffID,
            chainID: chainID, parent: parent, size: unpacked)
    }

    /// Unpacks into tmp and renames into layers/<chain>; returns the content size.
    func ensureUnpacked(chainID: Digest, blobPath: String, pre: Unpacked? = nil) throws -> Int64 {
        if let size = try store.read({ db in
            try ImageStore.layerSize(db, chainID: chainID.string)
        }), FileOps.exists(paths.layerDiff(chainID.hex)) {
            if let pre { FileOps.removeTree(pre.work) }
            return size
        }
        let work = try pre?.work ?? FileOps.makeTempDir(in: paths.tmp, prefix: "layer")
        do {
            let size: Int64
            if let pre {
                size = pre.size
            } else {
                try FileOps.makeDirs(work + "/diff")
                size = try unpacker.unpack(blobPath, into: work + "/diff")
            }
            let dest = paths.layerDir(chainID.hex)
            // Left over from a crash before its row was written: replace it.
            if FileOps.exists(dest) { FileOps.removeTree(dest) }
            guard rename(work, dest) == 0 else { throw BerthError.posix("store layer \(chainID)") }
            FileOps.syncDirectory(paths.layers)
            return size
        } catch {
            FileOps.removeTree(work)
            throw error
        }
    }

    /// Records an image and its layers; returns the tag names that moved to it.
    func record(
        _ db: StoreTransaction, id: Digest, configData: Data, config: ImageConfig, layers: [PreparedLayer],
        manifestDigest: Digest?, names: [Reference], action: String, now: Int64
    ) throws {
        try ImageStore.insert(
            db, id: id.string, configJSON: String(decoding: configData, as: UTF8.self),
            manifestDigest: manifestDigest?.string, architecture: config.architecture, os: config.os,
            created: config.created.flatMap { Clock.parseRFC3339($0) }, labels: config.config?.Labels ?? [:],
            layers: layers.map(\.row), now: now)
        let firstName = names.first?.familiarString
        try Events.append(
            db, type: "image", action: action, actorID: id.string, actorName: firstName,
            attributes: firstName.map { ["name": $0] } ?? [:], time: now)
        for n in names {
            try setTag(db, name: n, imageID: id.string, now: now)
        }
    }

    /// Points a tag at an image (moving it if it named another), with a `tag` event.
    func setTag(_ db: StoreTransaction, name: Reference, imageID: String, now: Int64) throws {
        let full = name.withTag(name.tag ?? Reference.defaultTag)
        if let old = try ImageQueries.imageForTag(db, name: full.description), old == imageID { return }
        try ImageStore.setTag(db, name: full.description, repository: full.name, tag: full.tag!, imageID: imageID, now: now)
        try Events.append(
            db, type: "image", action: "tag", actorID: imageID, actorName: full.familiarString,
            attributes: ["name": full.familiarString], time: now)
    }

    // MARK: tag

    /// `berth tag SOURCE TARGET`.
    public func tag(source: String, target: String) async throws {
        try await mutate { [self] in
            let ref = try Reference.parseTagged(target)
            guard ref.digest == nil else { throw BerthError.invalid("refusing to create a tag with a digest reference") }
            try store.write { db in
                let id = try ImageResolver.resolve(db, source).imageID
                try setTag(db, name: ref, imageID: id, now: Clock.nowNanos())
            }
        }
    }
}

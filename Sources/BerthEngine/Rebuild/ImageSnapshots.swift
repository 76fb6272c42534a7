import BerthCore
import BerthImage
import BerthStore
import Foundation

/// What `berthd --rebuild-db` needs of an image when the database is gone: its config and
/// layers (`ROOT/image-records/<id hex>.json`, written once) and every tag
/// (`ROOT/image-records/tags.json`, rewritten after each change).
struct ImageSnapshot: Codable {
    var id: String
    var config: String
    var manifestDigest: String?
    var layers: [ImageStore.LayerRow]
}

extension ImageService {
    var recordsDir: String { paths.root + "/image-records" }
    var tagsSnapshot: String { recordsDir + "/tags.json" }

    /// Runs an image mutation on the worker, then brings the on-disk records up to date.
    func mutate<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await worker.run { [self] in
            defer { writeSnapshots() }
            return try body()
        }
    }

    /// Image records for images that have none, records of gone images removed, tags.json
    /// rewritten. Written without fsync: the database is the truth, these are its spare.
    func writeSnapshots() {
        do {
            try FileOps.makeDirs(recordsDir, mode: 0o700)
            let (images, tags) = try store.read { db in (try ImageStore.allIDs(db), try ImageStore.allTags(db)) }
            let have = Set((try? FileManager.default.contentsOfDirectory(atPath: recordsDir)) ?? [])
            let want = Set(images.map { String($0.dropFirst(7)) + ".json" })
            for id in images where !have.contains(String(id.dropFirst(7)) + ".json") {
                guard let snap = try snapshot(id) else { continue }
                try FileOps.writeAtomically(
                    try JSONCoding.encode(snap), to: recordsDir + "/" + String(id.dropFirst(7)) + ".json",
                    mode: 0o600, durable: false)
            }
            for f in have where f.hasSuffix(".json") && f != "tags.json" && !want.contains(f) {
                unlink(recordsDir + "/" + f)
            }
            try FileOps.writeAtomically(try JSONCoding.encode(tags), to: tagsSnapshot, mode: 0o600, durable: false)
        } catch {
            logger.warning("image records: \(error)")
        }
    }

    func snapshot(_ id: String) throws -> ImageSnapshot? {
        try store.read { db in
            guard let (config, manifest) = try ImageStore.config(db, id: id) else { return nil }
            let layers = try ImageStore.layers(db, imageID: id)
            return ImageSnapshot(id: id, config: config, manifestDigest: manifest, layers: layers)
        }
    }

    /// Records the images whose records, blobs and layer folders are all on disk, and their
    /// tags; returns how many images came back.
    func rebuildFromSnapshots() throws -> Int {
        let now = Clock.nowNanos()
        let tags = (try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: tagsSnapshot)))) ?? [:]
        var restored = 0
        for f in ((try? FileManager.default.contentsOfDirectory(atPath: recordsDir)) ?? []).sorted()
        where f.hasSuffix(".json") && f != "tags.json" {
            guard let data = FileManager.default.contents(atPath: recordsDir + "/" + f),
                let snap = try? JSONDecoder().decode(ImageSnapshot.self, from: data),
                let id = try? Digest(parsing: snap.id),
                let config = try? JSONDecoder().decode(ImageConfig.self, from: Data(snap.config.utf8))
            else {
                logger.warning("rebuild: unreadable image record \(f)")
                continue
            }
            var layers: [PreparedLayer] = []
            for l in snap.layers {
                guard let blob = try? Digest(parsing: l.blob), let diff = try? Digest(parsing: l.diffID), let chain = try? Digest(parsing: l.chainID),
                    FileOps.exists(paths.blob(blob.hex)), FileOps.exists(paths.layerDiff(chain.hex))
                else { break }
                layers.append(
                    PreparedLayer(
                        blob: blob, blobSize: l.blobSize, mediaType: l.mediaType, diffID: diff, chainID: chain,
                        parent: try l.parent.map { try Digest(parsing: $0) }, size: l.size))
            }
            guard layers.count == snap.layers.count else {
                logger.warning("rebuild: image \(snap.id) lacks layer files; not restored")
                continue
            }
            let names = tags.filter { $0.value == snap.id }.keys.sorted().compactMap { try? Reference.parse($0) }
            try store.write { db in
                try record(
                    db, id: id, configData: Data(snap.config.utf8), config: config, layers: layers,
                    manifestDigest: try snap.manifestDigest.map { try Digest(parsing: $0) }, names: names, action: "load", now: now)
            }
            restored += 1
        }
        return restored
    }
}

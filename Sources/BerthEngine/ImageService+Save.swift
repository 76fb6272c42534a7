import BerthCore
import BerthImage
import BerthStore
import Foundation

extension ImageService {
    /// `berth save`: writes a docker-archive (manifest.json, `<config>.json`, `<diff id>.tar`)
    /// that berth, docker, podman and skopeo load.
    public func save(names: [String], to dest: String) async throws {
        try await worker.run { [self] in
            guard !names.isEmpty else { throw BerthError.invalid("save needs at least one image") }
            struct Item { var id: String; var tags: [String]; var config: String; var layers: [(chain: String, blob: String)] }
            var byID: [String: Item] = [:]
            var order: [String] = []
            try store.read { db in
                for n in names {
                    let match = try ImageResolver.resolve(db, n)
                    let id = match.imageID
                    guard let d = try ImageQueries.detail(db, id: id) else { throw BerthError.notFound("No such image: \(n)") }
                    if byID[id] == nil {
                        order.append(id)
                        byID[id] = Item(
                            id: id, tags: [], config: d.configJSON,
                            layers: d.layers.map { ($0.chainID, $0.blobDigest) })
                    }
                    if case .tag(let name, _) = match {
                        byID[id]!.tags.append((try? Reference.parse(name).familiarString) ?? name)
                    }
                }
            }
            let fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BerthError.posix("create \(dest)") }
            defer { close(fd) }
            let writer = try ArchiveWriter(fd: fd)
            var manifest: [DockerArchiveManifestEntry] = []
            var written = Set<String>()
            for id in order {
                let item = byID[id]!
                let configName = String(id.dropFirst(7)) + ".json"
                try writer.addFile(configName, data: Data(item.config.utf8))
                var layerNames: [String] = []
                let config = try JSONCoding.decode(ImageConfig.self, from: Data(item.config.utf8), what: "image config")
                for (i, l) in item.layers.enumerated() {
                    let diff = config.rootfs.diff_ids[i]
                    let name = diff.hex + ".tar"
                    layerNames.append(name)
                    if written.insert(name).inserted {
                        try addLayer(writer, name: name, blobPath: paths.blob(String(l.blob.dropFirst(7))))
                    }
                }
                manifest.append(
                    DockerArchiveManifestEntry(
                        Config: configName, RepoTags: item.tags.isEmpty ? nil : item.tags,
                        Layers: layerNames))
            }
            try writer.addFile("manifest.json", data: try JSONCoding.encode(manifest))
            try writer.close()
            try store.write { db in
                for id in order {
                    try Events.append(db, type: "image", action: "save", actorID: id)
                }
            }
        }
    }

    /// docker-archive layers are plain tars: compressed blobs are expanded on the way out.
    func addLayer(_ writer: ArchiveWriter, name: String, blobPath: String) throws {
        if Compression.sniff(path: blobPath) == .none {
            try writer.addFile(name, copying: blobPath)
            return
        }
        let tmp = try FileOps.makeTempDir(in: paths.tmp, prefix: "save")
        defer { FileOps.removeTree(tmp) }
        try Decompress.toFile(blobPath, tmp + "/layer.tar")
        try writer.addFile(name, copying: tmp + "/layer.tar")
    }
}

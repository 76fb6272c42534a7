import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// An image to make on top of another: `commit`'s and every build step's result.
struct NewImage: Sendable {
    /// The image it is made from; nil for `FROM scratch`.
    var parent: String?
    var config: ContainerConfig
    /// The history entry's `created_by`.
    var createdBy: String
    /// Config-only steps folded into this image, before `createdBy`: history entries of their own.
    var earlierSteps: [String] = []
    var comment: String?
    var author: String?
    /// The overlay upper dir holding the changes, with the parent's layer dirs (top first);
    /// nil for a step that changes only the config (`empty_layer`).
    var upper: String?
    var lowers: [String] = []
    /// Paths left out of the layer: the runtime's mount points for a container's changes.
    var excluded: Set<String> = LayerDiff.runtimeMountPoints
    /// Creation time (ns); with `clampSeconds`, file times newer than it are clamped
    /// (SOURCE_DATE_EPOCH: the same inputs give the same digests).
    var created: Int64
    var clampSeconds: Int64?
    var names: [Reference] = []
    /// The event recorded (`commit`), or none for build steps.
    var event: String?
}

extension ImageService {
    /// Makes an image from a parent and a change set; returns its id.
    func makeImage(_ n: NewImage) async throws -> String {
        try await mutate { [self] in try makeImageSync(n) }
    }

    func makeImageSync(_ n: NewImage) throws -> String {
        let (parentConfig, parentLayers) = try store.read { db -> (ImageConfig?, [ImageStore.LayerRow]) in
            guard let p = n.parent else { return (nil, []) }
            guard let cfg = try ImageStore.config(db, id: p) else { throw BerthError.notFound("No such image: \(p)") }
            return (
                try JSONCoding.decode(ImageConfig.self, from: Data(cfg.configJSON.utf8), what: "image config"),
                try ImageStore.layers(db, imageID: p)
            )
        }
        var rows = parentLayers
        var diffIDs = parentConfig?.rootfs.diff_ids ?? []
        let staging = try FileOps.makeTempDir(in: paths.tmp, prefix: "commit")
        defer { FileOps.removeTree(staging) }
        if let upper = n.upper {
            let file = staging + "/layer.tar.gz"
            try LayerDiff(upper: upper, lowers: n.lowers, excluded: n.excluded).writeLayer(to: file, clamp: n.clampSeconds)
            var known: [String: (Digest, Int64)] = [:]
            let layer = try prepareLayer(
                path: file, mediaType: MediaType.dockerLayerGzip, expected: nil, diffID: nil,
                parent: try rows.last.map { try Digest(parsing: $0.chainID) }, known: &known)
            rows.append(layer.row)
            diffIDs.append(layer.diffID)
        }
        var config = ImageConfig(
            architecture: parentConfig?.architecture ?? ImageConfig.hostArchitecture, os: parentConfig?.os ?? "linux",
            rootfs: RootFS(diffIDs: diffIDs))
        config.variant = parentConfig?.variant
        config.created = Clock.rfc3339Nano(n.created)
        config.author = n.author
        config.comment = n.comment
        config.config = n.config
        config.history =
            (parentConfig?.history ?? [])
            + n.earlierSteps.map { History(created: config.created, created_by: $0, author: n.author, comment: nil, empty_layer: true) }
            + [
                History(
                    created: config.created, created_by: n.createdBy, author: n.author, comment: n.comment,
                    empty_layer: n.upper == nil ? true : nil)
            ]
        let data = try JSONCoding.encode(config)
        let id = Digest.of(data)
        let now = Clock.nowNanos()
        try store.write { db in
            try ImageStore.insert(
                db, id: id.string, configJSON: String(decoding: data, as: UTF8.self), manifestDigest: nil,
                architecture: config.architecture, os: config.os, created: n.created, labels: n.config.Labels ?? [:],
                layers: rows, now: now)
            if let p = n.parent, p != id.string { try ImageStore.setParent(db, id: id.string, parent: p) }
            if let action = n.event {
                let first = n.names.first?.familiarString
                try Events.append(
                    db, type: "image", action: action, actorID: id.string, actorName: first,
                    attributes: first.map { ["name": $0] } ?? [:], time: now)
            }
            for name in n.names { try setTag(db, name: name, imageID: id.string, now: now) }
        }
        return id.string
    }

    /// `berth commit`: the container's changes as a new layer on its image, its config (with
    /// `changes` applied) as the image's. The caller pauses a running container.
    public func commit(
        _ c: ContainerRecord, reference: String?, changes: [String], message: String?, author: String?
    ) async throws -> String {
        let ref = try reference.map { try Reference.parseTagged($0) }
        if let ref, ref.digest != nil { throw BerthError.invalid("refusing to create a tag with a digest reference") }
        let req = try JSONCoding.decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8), what: "container config")
        var cfg = Self.imageConfig(from: req)
        let parentConfig = try store.read { db in try ImageStore.config(db, id: c.imageID) }
            .flatMap { try? JSONDecoder().decode(ImageConfig.self, from: Data($0.configJSON.utf8)) }?.config
        cfg.OnBuild = parentConfig?.OnBuild
        cfg.Shell = parentConfig?.Shell
        try ConfigChanges.apply(changes, to: &cfg)
        let lowers = try store.layerDirs(imageID: c.imageID, paths: paths)
        return try await makeImage(
            NewImage(
                parent: c.imageID, config: cfg, createdBy: c.command, comment: message, author: author,
                upper: paths.containers + "/" + c.id + "/upper", lowers: lowers, created: Clock.nowNanos(),
                names: ref.map { [$0] } ?? [], event: "commit"))
    }

    /// The image config a container's effective config becomes.
    static func imageConfig(from req: ContainerCreateRequest) -> ContainerConfig {
        var cfg = ContainerConfig()
        cfg.User = req.User.flatMap { $0.isEmpty ? nil : $0 }
        cfg.ExposedPorts = req.ExposedPorts
        cfg.Env = req.Env
        cfg.Entrypoint = req.Entrypoint?.values
        cfg.Cmd = req.Cmd?.values
        cfg.Volumes = req.Volumes
        cfg.WorkingDir = req.WorkingDir.flatMap { $0.isEmpty ? nil : $0 }
        cfg.Labels = req.Labels
        cfg.StopSignal = req.StopSignal.flatMap { $0 == "SIGTERM" ? nil : $0 }
        cfg.Healthcheck = req.Healthcheck
        return cfg
    }
}

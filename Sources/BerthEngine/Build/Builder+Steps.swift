import BerthAPI
import BerthBuild
import BerthCore
import BerthImage
import BerthStore
import Foundation

extension Builder {
    /// FROM: a previous stage, `scratch`, or an image (pulled when missing or with `--pull`);
    /// then the base image's ONBUILD triggers.
    func from(_ stage: Dockerfile.Stage) async throws {
        header(stage.from)
        let words = stage.from.args.split(whereSeparator: \.isWhitespace).map(String.init)
        let name = try expander.expand(words[0], metaArgs)
        guard !name.isEmpty else { throw BerthError.invalid("base name (\(words[0])) should not be blank") }
        state = StageState()
        if name.lowercased() == "scratch" {
            say(" ---> \(name)\n")
            return
        }
        if let i = stageNames[name.lowercased()] {
            guard let id = stageImages[i] else { throw BerthError.invalid("stage \(name) made no image") }
            try load(id)
        } else {
            try load(try await baseImage(name))
        }
        say(" ---> \(Identifier.short(state.imageID!))\n")
        let triggers = state.config.OnBuild ?? []
        if !triggers.isEmpty {
            say("# Executing \(triggers.count) build trigger\(triggers.count == 1 ? "" : "s")\n")
            state.config.OnBuild = nil
            for t in triggers {
                let ins = try Dockerfile.parse("FROM scratch\n" + t).stages[0].instructions
                guard let trigger = ins.first, ins.count == 1, !["ONBUILD", "FROM", "MAINTAINER"].contains(trigger.keyword) else {
                    throw BerthError.invalid("invalid ONBUILD trigger: \(t)")
                }
                step -= 1
                try await dispatch(trigger)
            }
        }
    }

    /// The id of a base image by name, pulled when missing (or always with `--pull`).
    func baseImage(_ name: String) async throws -> String {
        let local = try? images.store.read { db in try ImageResolver.resolve(db, name).imageID }
        if let local, !request.pull { return local }
        say("Pulling \(name)\n")
        do {
            for m in try await images.pull(name, auth: request.auth) {
                say((m["id"].map { $0 + ": " } ?? "") + (m["status"] ?? "") + "\n")
            }
        } catch {
            if let local { return local }  // --pull with the registry away: Docker fails too, but says why
            throw error
        }
        return try images.store.read { db in try ImageResolver.resolve(db, name).imageID }
    }

    /// Makes `id` the stage's current image.
    func load(_ id: String) throws {
        let (cfg, layers) = try images.store.read { db -> (ImageConfig, Int) in
            guard let c = try ImageStore.config(db, id: id) else { throw BerthError.notFound("No such image: \(id)") }
            return (
                try JSONCoding.decode(ImageConfig.self, from: Data(c.configJSON.utf8), what: "image config"),
                try ImageStore.layers(db, imageID: id).count
            )
        }
        state.imageID = id
        state.config = cfg.config ?? ContainerConfig()
        state.hasLayers = layers > 0
    }

    func dispatch(_ ins: Instruction) async throws {
        header(ins)
        switch ins.keyword {
        case "RUN": try await runStep(ins)
        case "COPY", "ADD": try await copyStep(ins)
        default: try await configStep(ins)
        }
    }

    /// A step found in the cache: the image it made before, unless `--no-cache`.
    func cached(_ key: String) throws -> String? {
        guard !request.noCache else { return nil }
        return try images.store.read { db in try ImageStore.cachedStep(db, parent: state.imageID ?? "", key: key) }
    }

    func cacheKey(_ kind: String, _ text: String) -> String {
        Digest.of(Array("\(kind)\n\(text)".utf8)).string
    }

    /// Takes the cached image for `key`, or runs `make` and caches what it made.
    func step(key: String, _ make: () async throws -> String) async throws {
        if let id = try cached(key) {
            hits += 1
            say(" ---> Using cache\n")
            try load(id)
        } else {
            misses += 1
            let parent = state.imageID ?? ""
            let id = try await make()
            made.append(id)
            try images.store.write { db in try ImageStore.cacheStep(db, parent: parent, key: key, imageID: id, now: Clock.nowNanos()) }
            try load(id)
        }
        say(" ---> \(Identifier.short(state.imageID!))\n")
    }

    /// A step that changes only the config: an image without a new layer.
    func commitConfig(_ config: ContainerConfig, _ text: String) async throws {
        let createdBy = "/bin/sh -c #(nop)  " + text
        // The config is in the key too: the same text can mean another value (ENV PATH=$PATH:x).
        let key = cacheKey("nop", createdBy + "\n" + String(decoding: try JSONCoding.encode(config), as: UTF8.self))
        let parent = state.imageID
        let hasLayers = state.hasLayers
        try await step(key: key) {
            try await images.makeImage(
                NewImage(parent: parent, config: config, createdBy: createdBy, created: createdTime))
        }
        state.hasLayers = hasLayers || state.hasLayers
    }
}

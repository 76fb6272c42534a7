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
        case "RUN":
            try await flushConfig()
            try await runStep(ins)
        case "COPY", "ADD":
            try await flushConfig()
            try await copyStep(ins)
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

    /// Takes the cached image for `key`, or runs `make` and caches what it made. `count`: the
    /// Dockerfile steps it stands for (config-only steps fold into one image).
    func step(key: String, count: Int = 1, _ make: () async throws -> String) async throws {
        if let id = try cached(key) {
            hits += count
            say(" ---> Using cache\n")
            try load(id)
        } else {
            misses += count
            let parent = state.imageID ?? ""
            let id = try await make()
            try images.store.write { db in try ImageStore.cacheStep(db, parent: parent, key: key, imageID: id, now: Clock.nowNanos()) }
            try load(id)
        }
        say(" ---> \(Identifier.short(state.imageID!))\n")
    }

    /// A step that changes only the config. It is not an image of its own: config-only steps
    /// in a row become one image when a step that needs a parent image comes (RUN, COPY, ADD)
    /// or the stage ends, its history listing each. A 1,000-line LABEL file then stores one
    /// image, not 1,000 each copying every label before it.
    func commitConfig(_ config: ContainerConfig, _ text: String) async throws {
        let createdBy = "/bin/sh -c #(nop)  " + text
        // The config is in the key too: the same text can mean another value (ENV PATH=$PATH:x).
        let key = cacheKey("nop", createdBy + "\n" + String(decoding: try JSONCoding.encode(config), as: UTF8.self))
        pendingConfig.append((createdBy, key))
        state.config = config
    }

    /// Makes the image of the config-only steps not yet committed (one cached step whose key
    /// chains theirs; a single step keeps its own key, as before folding).
    func flushConfig() async throws {
        guard !pendingConfig.isEmpty else { return }
        let steps = pendingConfig
        pendingConfig = []
        let key = steps.count == 1 ? steps[0].key : cacheKey("nop-steps", steps.map(\.key).joined(separator: "\n"))
        let parent = state.imageID, config = state.config, hasLayers = state.hasLayers
        try await step(key: key, count: steps.count) {
            try await images.makeImage(
                NewImage(
                    parent: parent, config: config, createdBy: steps.last!.createdBy, earlierSteps: steps.dropLast().map(\.createdBy),
                    created: createdTime))
        }
        state.hasLayers = hasLayers || state.hasLayers
    }
}

import BerthAPI
import BerthBuild
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// One build, run step by step in its own task. Not shared: it lives for one `build` call.
final class Builder {
    /// A stage's image and config as the steps change them.
    struct StageState {
        /// The current image; nil for `FROM scratch` before any step made one.
        var imageID: String?
        var config = ContainerConfig()
        /// ARGs declared in this stage, with their values, in declaration order.
        var args: [(String, String)] = []
        /// Whether this stage set CMD (ENTRYPOINT then keeps it).
        var cmdSet = false
        var hasLayers = false
    }

    let images: ImageService
    let containers: ContainerService
    let request: BuildRequest
    let emit: BuildEmitter
    let paths: BerthPaths
    var work = ""
    var context = ""
    var expander = WordExpander()
    var state = StageState()
    /// Results of the stages built so far, by index and by name.
    var stageImages: [Int: String] = [:]
    var stageNames: [String: Int] = [:]
    var metaArgs: [String: String] = [:]
    var usedArgs: Set<String> = []
    var step = 0
    var steps = 0
    var hits = 0
    var misses = 0
    /// Config-only steps not yet made into an image: (created_by, cache key).
    var pendingConfig: [(createdBy: String, key: String)] = []
    /// SOURCE_DATE_EPOCH as a build arg: created times and file times clamped to it.
    var epoch: Int64?

    init(images: ImageService, containers: ContainerService, request: BuildRequest, emit: @escaping BuildEmitter) {
        self.images = images
        self.containers = containers
        self.request = request
        self.emit = emit
        self.paths = images.paths
    }

    func say(_ s: String) { if !request.quiet { emit(.stream(s)) } }

    func run() async throws -> String {
        let started = Clock.nowNanos()
        let buildID = Identifier.random()
        var record = ImageStore.BuildRecord(
            id: buildID, imageID: nil, tags: request.tags, dockerfile: request.dockerfile, contextDigest: "", contextSize: 0,
            target: request.target, steps: 0, cacheHits: 0, cacheMisses: 0, startedAt: started, seconds: 0, outcome: "failed")
        defer {
            record.steps = step
            record.cacheHits = hits
            record.cacheMisses = misses
            record.seconds = Double(Clock.nowNanos() - started) / 1e9
            let r = record
            try? images.store.write { db in try ImageStore.recordBuild(db, r) }
        }
        try FileOps.makeDirs(paths.tmp, mode: 0o700)
        work = try FileOps.makeTempDir(in: paths.tmp, prefix: "build")
        defer { FileOps.removeTree(work) }
        do {
            let tags = try request.tags.map { t -> Reference in
                do { return try Reference.parseTagged(t) } catch { throw BerthError.invalid("invalid reference format: \(t)") }
            }
            let (text, digest, size) = try prepareContext()
            record.contextDigest = digest
            record.contextSize = size
            let file = try Dockerfile.parse(text)
            expander = WordExpander(escape: file.escape)
            if let e = request.buildArgs["SOURCE_DATE_EPOCH"] ?? nil { epoch = Int64(e) }
            let id = try await build(file)
            for t in tags { try await images.tag(source: id, target: t.description) }
            warnUnusedArgs()
            if request.quiet {
                emit(.stream(id + "\n"))
            } else {
                emit(.aux(id: id))
                say("Successfully built \(Identifier.short(id))\n")
                for t in tags { say("Successfully tagged \(t.withTag(t.tag ?? Reference.defaultTag).familiarString)\n") }
            }
            record.imageID = id
            record.outcome = "built"
            return id
        } catch {
            // The images of finished steps stay, as build cache only: `images` does not list
            // them (not even as dangling), a build again takes them, `builder prune` removes them.
            record.outcome = Task.isCancelled ? "cancelled" : "failed: " + ((error as? BerthError)?.message ?? "\(error)")
            throw error
        }
    }

    /// Runs the stages up to the target; returns the last one's image.
    func build(_ file: Dockerfile) async throws -> String {
        var last = file.stages.count - 1
        if let target = request.target?.lowercased(), !target.isEmpty {
            guard let t = file.stages.first(where: { $0.name == target }) else {
                throw BerthError.invalid("failed to reach build target \(request.target!) in Dockerfile")
            }
            last = t.index
        }
        steps = file.stages[...last].reduce(0) { $0 + 1 + $1.instructions.count }
        for a in file.metaArgs {
            for (k, v) in try argDeclarations(a, env: metaArgs) { metaArgs[k] = v }
        }
        for stage in file.stages[...last] {
            try Task.checkCancellation()
            try await from(stage)
            for ins in stage.instructions {
                // The client went away: stop at this step boundary (finished steps stay as cache).
                try Task.checkCancellation()
                try await dispatch(ins)
            }
            if stage.index == last && !request.labels.isEmpty {
                var cfg = state.config
                cfg.Labels = (cfg.Labels ?? [:]).merging(request.labels) { _, n in n }
                let text = request.labels.sorted { $0.key < $1.key }.map { "\"\($0.key)\"='\($0.value)'" }.joined(separator: " ")
                try await commitConfig(cfg, "LABEL " + text)
            }
            try await flushConfig()
            if let id = state.imageID { stageImages[stage.index] = id }
            if let n = stage.name { stageNames[n] = stage.index }
        }
        guard let id = state.imageID else { throw BerthError.invalid("No image was generated. Is your Dockerfile empty?") }
        return id
    }

    /// `ARG a=b c`: each name with its value (the build arg, else the default, else none).
    func argDeclarations(_ ins: Instruction, env: [String: String]) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for w in try expander.words(ins.args) {
            let e = try expander.expand(w, env)
            let name = String(e.prefix { $0 != "=" })
            guard !name.isEmpty else { throw BerthError.invalid("ARG names can not be blank") }
            let def: String? = e.contains("=") ? String(e.drop { $0 != "=" }.dropFirst()) : nil
            usedArgs.insert(name)
            let given = request.buildArgs[name].map { $0 ?? ProcessInfo.processInfo.environment[name] }
            if let v = (given ?? nil) ?? def { out.append((name, v)) }
        }
        return out
    }

    func warnUnusedArgs() {
        let predefined = Set(Self.proxyArgs + ["SOURCE_DATE_EPOCH"])
        let unused = request.buildArgs.keys.filter { !usedArgs.contains($0) && !predefined.contains($0) }.sorted()
        if !unused.isEmpty { say("[Warning] One or more build-args [\(unused.joined(separator: " "))] were not consumed\n") }
    }

    /// The variables a step's words expand with: the stage's ENV over its ARGs.
    var expansionEnv: [String: String] {
        var env: [String: String] = [:]
        for (k, v) in state.args { env[k] = v }
        for e in state.config.Env ?? [] {
            let kv = e.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            env[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        return env
    }

    func header(_ ins: Instruction) {
        step += 1
        say("Step \(step)/\(steps) : \(ins.text)\n")
    }

    /// Creation time of the images made: SOURCE_DATE_EPOCH when given, else now.
    var createdTime: Int64 { epoch.map { $0 * 1_000_000_000 } ?? Clock.nowNanos() }
}

import BerthAPI
import BerthBuild
import BerthCompose
import BerthCore
import BerthEngine
import BerthImage
import BerthKube
import BerthNetwork
import BerthRegistry
import BerthStore
import Foundation

/// What the fuzzer feeds: every parser that takes outside input, and the arithmetic on what
/// they return. None may trap; errors are fine. The first byte picks the target.
enum FuzzTargets {
    /// A migrated in-memory database for the filter compilers.
    static let store: Store = try! Store.openInMemory()

    static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        let now = Clock.nowNanos()
        switch first % 10 {
        case 0:
            if let d = Clock.parseGoDuration(text) { _ = Checked.saturatingSubtract(now, d); _ = Human.duration(nanos: d) }
            if let t = Clock.parseAPITimestamp(text, now: now) { _ = Clock.rfc3339Nano(t) }
            if let t = Clock.parseTimestamp(text, now: now) { _ = Clock.rfc3339Nano(t) }
        case 1:
            if let n = Human.parseRAMBytes(text) { _ = Human.size(n) }
            _ = try? LogOptions.resolve(.init(Type: "json-file", Config: ["max-size": text, "max-file": text]), defaults: .init())
        case 2:
            _ = try? Reference.parse(text)
            _ = try? Reference.parseTagged(text)
            _ = try? PathSafety.components(of: text)
            _ = try? PathSafety.whiteout(text)
            _ = try? Signals.parse(text)
            _ = try? DetachKeys.parse(text)
            _ = RegistryClient.parseChallenge(text)
        case 3:
            // A create request as a client sends it, then the checks create applies.
            if let req = try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(bytes.dropFirst())) {
                _ = try? ContainerService.validateRequest(req)
            }
        case 4, 5:
            // Filters as `key=value` lines, compiled to SQL and run.
            var filters: [String: [String]] = [:]
            for line in text.split(separator: "\n") {
                let kv = KeyValue.parse(String(line))
                filters[kv.key, default: []].append(kv.value ?? "")
            }
            _ = try? store.read { db in
                _ = try? ContainerListQuery(all: true, filters: filters, last: nil).run(db, images: { [$0] })
                _ = try? EventQuery(since: nil, until: nil, filters: filters).run(db)
            }
            _ = try? ContainerPruneFilters(filters, now: now)
        case 6:
            // -p specs and subnets (with the allocation walk on what parses).
            if let spec = try? PortSpec.parse(text) { _ = spec.mapping(hostStart: spec.hostPorts?.lowerBound ?? 1) }
            if let s = Subnet(text), s.prefix >= 16 { _ = s.nextFree(used: [], gateway: s.firstHost); _ = s.description }
            let kv = KeyValue.parse(text)
            _ = try? KeyValue.parseFilter(text)
            _ = kv.value.flatMap { Int64($0) }.map { Checked.sleepNanos(seconds: $0) }
        case 8:
            // A Dockerfile (berthd parses what any client sends), each instruction's words
            // expanded as the builder does, and the text as .dockerignore rules.
            if let f = try? Dockerfile.parse(text) {
                let x = WordExpander(escape: f.escape)
                let env = ["A": "a", "EMPTY": ""]
                for ins in f.metaArgs + f.stages.flatMap({ [$0.from] + $0.instructions }) {
                    _ = try? x.expandLine(ins.args, env)
                    _ = try? x.keyValues(ins.args, env, instruction: ins.keyword)
                    _ = ins.text
                }
            }
            if let d = try? DockerIgnore(text) { _ = d.excludes(text); _ = d.excludes("a/b/c") }
        case 9:
            // A Compose file (model, interpolation, the create requests) and Kubernetes YAML
            // (kube play's plan, and generate on what the plan made).
            if let p = try? ComposeLoader.parse(text, env: ["A": "a"]) {
                for s in p.services { _ = try? ComposePlan.request(p, s, number: 1) }
                _ = try? ComposeRender.yaml(p)
            }
            _ = try? Interpolation.apply(text, ["A": "a"], at: "fuzz")
            _ = try? Interpolation.parseEnvFile(text, file: "fuzz")
            if let plan = try? KubePlan(yaml: text, file: "/fuzz.yaml") {
                var g = KubeGenerate()
                _ = try? g.yaml(plan.pods.flatMap(\.containers).map {
                    KubeSource(name: $0.name, image: $0.request.Image ?? "", imageDigestRef: nil, request: $0.request, mounts: [], ports: [])
                })
            }
        default:
            _ = try? MountSpecs.parse(binds: text.split(separator: "\n").map(String.init), mounts: [], tmpfs: [:], anonymous: [])
        }
    }
}

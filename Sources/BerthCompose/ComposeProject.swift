import BerthCore
import Foundation

/// A resolved project: its services (those of the active profiles), networks, volumes,
/// secrets and configs, and what was ignored.
public struct ComposeProject: Sendable {
    public var name: String
    public var directory: String
    public var files: [String]
    public var services: [ComposeService]
    public var networks: [String: ComposeNetwork]
    public var volumes: [String: ComposeVolume]
    /// Secret and config names → the host files they come from.
    public var secrets: [String: String]
    public var configs: [String: String]
    /// Keys berth does not know, named (they are not applied).
    public var warnings: [String]
    /// The merged, interpolated tree (`compose config`).
    public var root: YamlValue

    static let topKeys: Set<String> = ["version", "name", "services", "networks", "volumes", "secrets", "configs"]

    init(root: YamlValue, name: String, directory: String, files: [String], profiles: [String], env: [String: String]) throws {
        self.root = root
        self.name = name
        self.directory = directory
        self.files = files
        var warnings: [String] = []
        for (k, v) in root.pairs ?? [] where !Self.topKeys.contains(k) && !k.hasPrefix("x-") {
            warnings.append("\(v.place): unknown top-level key '\(k)' ignored")
        }
        var networks: [String: ComposeNetwork] = [:]
        for (k, v) in root["networks"]?.pairs ?? [] { networks[k] = try ComposeNetwork(key: k, v, project: name) }
        if networks["default"] == nil { networks["default"] = ComposeNetwork(name: name + "_default", external: false, isInternal: false) }
        var volumes: [String: ComposeVolume] = [:]
        for (k, v) in root["volumes"]?.pairs ?? [] { volumes[k] = try ComposeVolume(key: k, v, project: name) }
        func fileMap(_ key: String) throws -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in root[key]?.pairs ?? [] {
                guard let f = v["file"]?.string else { throw BerthError.invalid("\(v.place): \(key).\(k): only 'file' is supported") }
                out[k] = ComposeLoader.absolute(f, directory)
            }
            return out
        }
        secrets = try fileMap("secrets")
        configs = try fileMap("configs")
        var services: [ComposeService] = []
        guard let list = root["services"]?.pairs, !list.isEmpty else {
            throw BerthError.invalid("\(files.first ?? "compose file"): no services defined")
        }
        for (k, v) in list {
            let s = try ComposeService(name: k, v, projectDir: directory, env: env, warnings: &warnings)
            // A service with profiles runs only when one of them is asked for.
            if s.profiles.isEmpty || s.profiles.contains(where: profiles.contains) || profiles.contains("*") { services.append(s) }
        }
        for s in services {
            for d in s.dependsOn.keys where !services.contains(where: { $0.name == d }) {
                throw BerthError.invalid("service \(s.name) depends on undefined service \(d)")
            }
            for n in s.networks.keys where networks[n] == nil {
                throw BerthError.invalid("service \(s.name) refers to undefined network \(n)")
            }
            for m in s.volumes where m.type == "volume" && !m.source.isEmpty && volumes[m.source] == nil {
                throw BerthError.invalid("service \(s.name) refers to undefined volume \(m.source)")
            }
            for sec in s.secrets + s.configs.map(\.0) where secrets[sec] == nil && configs[sec] == nil {
                throw BerthError.invalid("service \(s.name) refers to undefined secret or config \(sec)")
            }
        }
        self.services = services
        self.networks = networks
        self.volumes = volumes
        self.warnings = warnings
        _ = try startOrder()
    }

    public func service(_ name: String) -> ComposeService? { services.first { $0.name == name } }

    /// Services in waves: each wave depends only on earlier ones (a cycle is an error).
    public func startOrder(_ only: [String]? = nil) throws -> [[ComposeService]] {
        var wanted = Set(only ?? services.map(\.name))
        // Asking for a service brings up what it depends on.
        var stack = Array(wanted)
        while let n = stack.popLast() {
            for d in service(n)?.dependsOn.keys ?? [:].keys where !wanted.contains(d) { wanted.insert(d); stack.append(d) }
        }
        var done: Set<String> = []
        var waves: [[ComposeService]] = []
        while done.count < wanted.count {
            let wave = services.filter { wanted.contains($0.name) && !done.contains($0.name) && $0.dependsOn.keys.allSatisfy(done.contains) }
            guard !wave.isEmpty else {
                let left = wanted.subtracting(done).sorted().joined(separator: ", ")
                throw BerthError.invalid("dependency cycle between services: \(left)")
            }
            waves.append(wave)
            done.formUnion(wave.map(\.name))
        }
        return waves
    }
}

public struct ComposeNetwork: Sendable, Equatable {
    /// The engine's name: `<project>_<key>`, or `name:`/external as written.
    public var name: String
    public var external: Bool
    public var isInternal: Bool
    public var driver: String?
    public var subnet: String?
    public var labels: [String: String] = [:]

    init(name: String, external: Bool, isInternal: Bool) {
        self.name = name
        self.external = external
        self.isInternal = isInternal
    }

    init(key: String, _ v: YamlValue, project: String) throws {
        external = ComposeService.bool(v["external"]) ?? (v["external"]?.pairs != nil)
        isInternal = ComposeService.bool(v["internal"]) ?? false
        name = v["name"]?.string ?? v["external"]?["name"]?.string ?? (external ? key : project + "_" + key)
        driver = v["driver"]?.string
        subnet = v["ipam"]?["config"].flatMap { if case .list(let l, _) = $0 { return l.first?["subnet"]?.string } else { return nil } }
        labels = try ComposeService.stringMap(v["labels"], what: "networks.\(key).labels")
    }
}

public struct ComposeVolume: Sendable, Equatable {
    public var name: String
    public var external: Bool
    public var labels: [String: String] = [:]

    init(key: String, _ v: YamlValue, project: String) throws {
        external = ComposeService.bool(v["external"]) ?? (v["external"]?.pairs != nil)
        name = v["name"]?.string ?? v["external"]?["name"]?.string ?? (external ? key : project + "_" + key)
        labels = try ComposeService.stringMap(v["labels"], what: "volumes.\(key).labels")
    }
}

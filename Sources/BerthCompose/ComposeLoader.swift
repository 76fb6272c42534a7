import BerthCore
import Foundation

/// How a project is found: Compose's `-f`, `-p`, `--project-directory`, `--env-file`,
/// `--profile`, and the environment it interpolates from.
public struct ComposeOptions: Sendable {
    public var files: [String] = []
    public var projectName: String?
    public var projectDirectory: String?
    public var envFiles: [String] = []
    public var profiles: [String] = []
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    public var workingDirectory: String = FileManager.default.currentDirectoryPath

    public init() {}
}

/// Reading a project: discovery, `.env`, interpolation, the files merged in order, `extends`,
/// then the typed model.
public enum ComposeLoader {
    /// Compose's file names, in the order it looks for them.
    public static let defaultNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]

    public static func load(_ o: ComposeOptions) throws -> ComposeProject {
        var files = o.files.map { absolute($0, o.workingDirectory) }
        if files.isEmpty {
            var dir = absolute(o.projectDirectory ?? o.workingDirectory, o.workingDirectory)
            while true {
                if let name = defaultNames.first(where: { FileManager.default.fileExists(atPath: dir + "/" + $0) }) {
                    files.append(dir + "/" + name)
                    // compose.yaml → compose.override.yaml, and the same for the other names.
                    let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
                    let override = dir + "/" + base + ".override." + ext
                    if FileManager.default.fileExists(atPath: override) { files.append(override) }
                    break
                }
                let parent = (dir as NSString).deletingLastPathComponent
                guard parent != dir, !parent.isEmpty else {
                    throw BerthError.notFound("no configuration file provided: not found (looked for \(defaultNames.joined(separator: ", ")))")
                }
                dir = parent
            }
        }
        let projectDir = absolute(o.projectDirectory ?? (files[0] as NSString).deletingLastPathComponent, o.workingDirectory)
        // The environment: .env (or --env-file) under the process's own variables.
        var env: [String: String] = [:]
        let envFiles = o.envFiles.isEmpty ? [projectDir + "/.env"] : o.envFiles.map { absolute($0, o.workingDirectory) }
        for f in envFiles {
            guard FileManager.default.fileExists(atPath: f) else {
                if o.envFiles.isEmpty { continue }
                throw BerthError.notFound("env file \(f) not found")
            }
            for (k, v) in try Interpolation.parseEnvFile(try read(f), file: f) { env[k] = v }
        }
        for (k, v) in o.environment { env[k] = v }
        var merged: YamlValue?
        for f in files {
            let tree = try Interpolation.apply(try YamlValue.parse(try read(f), file: f), env)
            guard tree.pairs != nil else { throw BerthError.invalid("\(f): the top level must be a mapping") }
            merged = merged.map { ComposeMerge.merge($0, tree) } ?? tree
        }
        let root = try ComposeExtends.resolve(merged!, projectDir: projectDir, env: env)
        var name = o.projectName ?? env["COMPOSE_PROJECT_NAME"] ?? root["name"]?.string ?? (projectDir as NSString).lastPathComponent
        name = normalize(name)
        guard !name.isEmpty else {
            throw BerthError.invalid("project name must not be empty: use -p with lowercase letters, digits, dashes or underscores")
        }
        let profiles = o.profiles + (env["COMPOSE_PROFILES"].map { $0.split(separator: ",").map(String.init) } ?? [])
        return try ComposeProject(root: root, name: name, directory: projectDir, files: files, profiles: profiles, env: env)
    }

    /// A project from one file's text (no discovery, no `.env`): what the fuzzer and tests feed.
    public static func parse(_ text: String, file: String = "compose.yaml", directory: String = "/nonexistent", env: [String: String] = [:]) throws -> ComposeProject {
        let tree = try Interpolation.apply(try YamlValue.parse(text, file: file), env)
        guard tree.pairs != nil else { throw BerthError.invalid("\(file): the top level must be a mapping") }
        let root = try ComposeExtends.resolve(tree, projectDir: directory, env: env)
        return try ComposeProject(root: root, name: "fuzz", directory: directory, files: [file], profiles: ["*"], env: env)
    }

    /// Compose's project name rule: lowercase letters, digits, `-` and `_`, starting with a
    /// letter or digit.
    public static func normalize(_ name: String) -> String {
        var s = String(name.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        while let f = s.first, !(f.isLetter || f.isNumber) { s.removeFirst() }
        return s
    }

    /// `p` made absolute against `cwd`, as a Compose file's relative paths are.
    public static func absolute(_ p: String, _ cwd: String) -> String {
        let full = p.hasPrefix("/") ? p : cwd + "/" + p
        return (full as NSString).standardizingPath
    }

    static func read(_ path: String) throws -> String {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw BerthError.notFound("cannot read \(path)")
        }
        guard d.count <= 16 << 20 else { throw BerthError.invalid("\(path): a Compose file over 16 MiB is refused") }
        return String(decoding: d, as: UTF8.self)
    }
}

/// Compose's merge of several files, in order: mappings key by key, the later file winning a
/// plain value; lists that Compose appends (ports, volumes, cap_add …) appended without
/// duplicates; other lists replaced.
public enum ComposeMerge {
    static let appended: Set<String> = [
        "ports", "expose", "volumes", "cap_add", "cap_drop", "dns", "dns_search", "tmpfs", "extra_hosts", "env_file",
        "security_opt", "devices", "external_links", "secrets", "configs", "profiles",
    ]

    public static func merge(_ a: YamlValue, _ b: YamlValue, key: String = "") -> YamlValue {
        switch (a, b) {
        case (.map(let x, let p), .map(let y, _)):
            var out = x
            for e in y {
                if let i = out.firstIndex(where: { $0.key == e.key }) {
                    out[i].value = merge(out[i].value, e.value, key: e.key)
                } else {
                    out.append(e)
                }
            }
            return .map(out, p)
        case (.list(let x, let p), .list(let y, _)) where appended.contains(key):
            return .list(x + y.filter { !x.contains($0) }, p)
        default:
            return b
        }
    }
}

/// `extends: {service: NAME[, file: PATH]}`: a service starts from another's definition
/// (from this file or another), its own keys merged on top.
enum ComposeExtends {
    static func resolve(_ root: YamlValue, projectDir: String, env: [String: String]) throws -> YamlValue {
        guard let services = root["services"]?.pairs else { return root }
        var done: [String: YamlValue] = [:]
        func resolved(_ name: String, in services: [(key: String, value: YamlValue)], dir: String, chain: [String]) throws -> YamlValue {
            guard let svc = services.last(where: { $0.key == name })?.value else {
                throw BerthError.invalid("extends: no service \(name)")
            }
            guard let ext = svc["extends"] else { return svc }
            guard chain.count < 32, !chain.contains(name) else {
                throw BerthError.invalid("\(svc.place): extends forms a cycle: \((chain + [name]).joined(separator: " → "))")
            }
            var target: String
            var base: YamlValue
            if let s = ext.string {
                target = s
                base = try resolved(target, in: services, dir: dir, chain: chain + [name])
            } else {
                guard let t = ext["service"]?.string else { throw BerthError.invalid("\(ext.place): extends needs a service") }
                target = t
                if let f = ext["file"]?.string {
                    let path = ComposeLoader.absolute(f, dir)
                    let other = try Interpolation.apply(try YamlValue.parse(try ComposeLoader.read(path), file: path), env)
                    base = try resolved(target, in: other["services"]?.pairs ?? [], dir: (path as NSString).deletingLastPathComponent, chain: chain + [name])
                } else {
                    base = try resolved(target, in: services, dir: dir, chain: chain + [name])
                }
            }
            guard case .map(let own, let p) = svc else { return svc }
            let merged = ComposeMerge.merge(base, .map(own.filter { $0.key != "extends" }, p))
            return merged
        }
        for (name, _) in services { done[name] = try resolved(name, in: services, dir: projectDir, chain: []) }
        guard case .map(var top, let p) = root, let i = top.firstIndex(where: { $0.key == "services" }),
            case .map(let svcs, let sp) = top[i].value
        else { return root }
        top[i].value = .map(svcs.map { ($0.key, done[$0.key] ?? $0.value) }, sp)
        return .map(top, p)
    }
}

import BerthCore
import Foundation

extension KubePlan {
    /// One file of a configMap or secret volume.
    public struct File: Sendable, Equatable {
        /// Relative to the volume's root, checked: no `..`, not absolute.
        public var path: String
        public var data: Data
        public var mode: Int
    }

    /// A pod volume filled once, before its containers start: what a configMap or secret
    /// volume holds (Kubernetes projects the keys as files).
    public struct VolumeFill: Sendable {
        public var volume: String
        public var files: [File]
    }

    /// The files of a `configMap` or `secret` volume source: every key (or the `items` named,
    /// at their `path`), with `defaultMode` or the item's `mode` (Kubernetes' 0644 default).
    /// A missing ConfigMap, Secret or key is an error unless the source says `optional: true`.
    static func projectedFiles(_ src: [String: Any], secret: Bool, sources: KubeSources, at: String) throws -> [File] {
        let what = secret ? "Secret" : "ConfigMap"
        let name = (secret ? src["secretName"] : src["name"]) as? String ?? ""
        let optional = src["optional"] as? Bool ?? false
        guard let data = sources.source(name, secret: secret) else {
            if optional { return [] }
            throw BerthError.invalid("\(at): no \(what) \(name.isEmpty ? "(unnamed)" : name) in the file")
        }
        let defaultMode = try mode(src["defaultMode"], at: at) ?? 0o644
        var picked: [(key: String, path: String, mode: Int)] = []
        if let items = src["items"] as? [[String: Any]] {
            for item in items {
                guard let key = item["key"] as? String, let path = item["path"] as? String else {
                    throw BerthError.invalid("\(at): an item of \(what) \(name) needs a key and a path")
                }
                guard data[key] != nil else {
                    if optional { continue }
                    throw BerthError.invalid("\(at): no key \(key) in \(what) \(name)")
                }
                picked.append((key, path, try mode(item["mode"], at: at) ?? defaultMode))
            }
        } else {
            picked = data.keys.sorted().map { ($0, $0, defaultMode) }
        }
        return try picked.map { p in
            try checkPath(p.path, at: at)
            return File(path: p.path, data: Data(data[p.key]!.utf8), mode: p.mode)
        }
    }

    /// A mode as Kubernetes takes it: 0 to 0777 (YAML's 0644 is octal, 420 decimal).
    static func mode(_ v: Any?, at: String) throws -> Int? {
        guard let v else { return nil }
        guard let m = v as? Int, (0...0o777).contains(m) else { throw BerthError.invalid("\(at): file mode \(v) is not 0 to 0777") }
        return m
    }

    /// Kubernetes' rule for a projected path: relative, no `..` element, not empty.
    static func checkPath(_ p: String, at: String) throws {
        let parts = p.split(separator: "/", omittingEmptySubsequences: false)
        guard !p.isEmpty, !p.hasPrefix("/"), !parts.contains(".."), !parts.contains(""), !p.utf8.contains(0) else {
            throw BerthError.invalid("\(at): file path \(p.debugDescription) must be relative, without '..'")
        }
    }
}

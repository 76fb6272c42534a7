import BerthCore
import Foundation

/// The ConfigMaps and Secrets a file gives, by name: key → value (a Secret's `data` decoded).
struct KubeSources: Sendable {
    var configMaps: [String: [String: String]] = [:]
    var secrets: [String: [String: String]] = [:]

    /// Reads `ConfigMap` and `Secret` documents: `data` as text, a Secret's `data` base64
    /// (`stringData` plain, winning), as the API server stores them.
    init(_ docs: [[String: Any]], file: String) throws {
        for (i, d) in docs.enumerated() {
            let kind = d["kind"] as? String ?? ""
            guard kind == "ConfigMap" || kind == "Secret" else { continue }
            let name = (d["metadata"] as? [String: Any])?["name"] as? String ?? ""
            var data: [String: String] = [:]
            for (k, v) in d["data"] as? [String: Any] ?? [:] {
                let text = Self.text(v)
                if kind == "ConfigMap" {
                    data[k] = text
                } else {
                    guard let bytes = Data(base64Encoded: text), let value = String(data: bytes, encoding: .utf8) else {
                        throw BerthError.invalid("\(file): document \(i + 1) (Secret \(name)): data.\(k) is not base64 of UTF-8 text")
                    }
                    data[k] = value
                }
            }
            if kind == "Secret" {
                for (k, v) in d["stringData"] as? [String: Any] ?? [:] { data[k] = Self.text(v) }
                secrets[name] = data
            } else {
                configMaps[name] = data
            }
        }
    }

    /// A YAML scalar as text (null as empty).
    static func text(_ v: Any) -> String { v is NSNull ? "" : "\(v)" }

    /// A ConfigMap's (`secret` false) or Secret's data.
    func source(_ name: String, secret: Bool) -> [String: String]? { secret ? secrets[name] : configMaps[name] }
}

extension KubePlan {
    /// A container's environment as Kubernetes builds it: `envFrom` ConfigMaps and Secrets first
    /// (each key, with the entry's prefix), then `env` (a value, or a ConfigMap's or Secret's key
    /// by `valueFrom`), later names winning. A source or key that is not there is an error
    /// unless marked optional.
    static func env(_ c: [String: Any], cat: String, sources: KubeSources) throws -> [String]? {
        var order: [String] = []
        var values: [String: String] = [:]
        func set(_ name: String, _ value: String) {
            if values[name] == nil { order.append(name) }
            values[name] = value
        }
        for from in c["envFrom"] as? [[String: Any]] ?? [] {
            // The ref read is the ref named: a ConfigMap's when there is one.
            let secret = from["configMapRef"] == nil
            guard let ref = (from["configMapRef"] ?? from["secretRef"]) as? [String: Any], let name = ref["name"] as? String else {
                throw BerthError.invalid("\(cat): envFrom takes configMapRef or secretRef")
            }
            guard let data = sources.source(name, secret: secret) else {
                if ref["optional"] as? Bool == true { continue }
                throw BerthError.invalid("\(cat): envFrom: no \(secret ? "Secret" : "ConfigMap") \(name) in the file")
            }
            let prefix = from["prefix"] as? String ?? ""
            for k in data.keys.sorted() { set(prefix + k, data[k]!) }
        }
        for e in c["env"] as? [[String: Any]] ?? [] {
            guard let n = e["name"] as? String else { throw BerthError.invalid("\(cat): an env entry without a name") }
            guard let raw = e["valueFrom"] else {
                set(n, e["value"].map(KubeSources.text) ?? "")
                continue
            }
            let from = raw as? [String: Any] ?? [:]
            // The ref read is the ref named: a ConfigMap's when there is one.
            let secret = from["configMapKeyRef"] == nil
            guard let ref = (from["configMapKeyRef"] ?? from["secretKeyRef"]) as? [String: Any], let source = ref["name"] as? String,
                let key = ref["key"] as? String
            else {
                throw BerthError.invalid("\(cat): env \(n): valueFrom takes configMapKeyRef or secretKeyRef")
            }
            guard let v = sources.source(source, secret: secret)?[key] else {
                if ref["optional"] as? Bool == true { continue }
                throw BerthError.invalid("\(cat): env \(n): no key \(key) in \(secret ? "Secret" : "ConfigMap") \(source)")
            }
            set(n, v)
        }
        return order.isEmpty ? nil : order.map { "\($0)=\(values[$0]!)" }
    }
}

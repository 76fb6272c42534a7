import BerthCore
import Foundation

extension KubePlan {
    /// A container's environment as Kubernetes builds it: `envFrom` ConfigMaps first (each key,
    /// with the entry's prefix), then `env` (a value, or a ConfigMap key by `valueFrom`), later
    /// names winning. A map or key that is not there is an error unless marked optional.
    static func env(_ c: [String: Any], cat: String, configMaps: [String: [String: String]]) throws -> [String]? {
        var order: [String] = []
        var values: [String: String] = [:]
        func set(_ name: String, _ value: String) {
            if values[name] == nil { order.append(name) }
            values[name] = value
        }
        for from in c["envFrom"] as? [[String: Any]] ?? [] {
            guard let ref = from["configMapRef"] as? [String: Any], let name = ref["name"] as? String else {
                throw BerthError.invalid("\(cat): envFrom takes configMapRef only (secretRef is not supported)")
            }
            guard let data = configMaps[name] else {
                if ref["optional"] as? Bool == true { continue }
                throw BerthError.invalid("\(cat): envFrom: no ConfigMap \(name) in the file")
            }
            let prefix = from["prefix"] as? String ?? ""
            for k in data.keys.sorted() { set(prefix + k, data[k]!) }
        }
        for e in c["env"] as? [[String: Any]] ?? [] {
            guard let n = e["name"] as? String else { throw BerthError.invalid("\(cat): an env entry without a name") }
            guard let from = e["valueFrom"] else {
                set(n, e["value"].map { $0 is NSNull ? "" : "\($0)" } ?? "")
                continue
            }
            guard let ref = (from as? [String: Any])?["configMapKeyRef"] as? [String: Any], let map = ref["name"] as? String,
                let key = ref["key"] as? String
            else {
                throw BerthError.invalid("\(cat): env \(n): valueFrom takes configMapKeyRef only")
            }
            guard let v = configMaps[map]?[key] else {
                if ref["optional"] as? Bool == true { continue }
                throw BerthError.invalid("\(cat): env \(n): no key \(key) in ConfigMap \(map)")
            }
            set(n, v)
        }
        return order.isEmpty ? nil : order.map { "\($0)=\(values[$0]!)" }
    }
}

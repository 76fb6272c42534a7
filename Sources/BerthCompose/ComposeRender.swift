import Foundation
import Yams

/// The resolved model as YAML (`compose config`): the project's name, the services of the
/// active profiles, networks and volumes with their engine names.
public enum ComposeRender {
    public static func yaml(_ p: ComposeProject) throws -> String {
        var root: [String: Any] = ["name": p.name]
        var services: [String: Any] = [:]
        for s in p.services { services[s.name] = s.definition.plain }
        root["services"] = services
        root["networks"] = Dictionary(uniqueKeysWithValues: p.networks.map { k, n in
            (k, ["name": n.name] as [String: Any]) })
        if !p.volumes.isEmpty {
            root["volumes"] = Dictionary(uniqueKeysWithValues: p.volumes.map { k, v in (k, ["name": v.name] as [String: Any]) })
        }
        return try Yams.dump(object: root, sortKeys: true)
    }
}

import BerthCore
import Foundation

/// berthd's configuration file, in Docker's daemon.json keys (the registry settings so far).
/// A key berthd does not know, or one also given as a flag, is refused as dockerd refuses it.
struct DaemonFile: Decodable {
    var insecureRegistries: [String]?
    var registryMirrors: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case insecureRegistries = "insecure-registries"
        case registryMirrors = "registry-mirrors"
    }

    /// Docker's /etc/docker/daemon.json, berth's own.
    static let defaultPath = "/etc/berth/daemon.json"

    /// The file at `path`; nil when the default one does not exist.
    static func load(_ path: String?) throws -> DaemonFile? {
        let file = path ?? defaultPath
        guard let data = FileManager.default.contents(atPath: file) else {
            if path == nil { return nil }
            throw BerthError.invalid("unable to configure the daemon with file \(file): it cannot be read")
        }
        let keys: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw BerthError.invalid("not an object") }
            keys = o
        } catch {
            throw BerthError.invalid("unable to configure the daemon with file \(file): \(BerthError.from(error).message)")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let unknown = keys.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw BerthError.invalid(
                "unable to configure the daemon with file \(file): the following directives don't match any configuration option: \(unknown.joined(separator: ", "))"
            )
        }
        do { return try JSONDecoder().decode(DaemonFile.self, from: data) } catch {
            throw BerthError.invalid("unable to configure the daemon with file \(file): \(error)")
        }
    }

    /// Refuses directives set both here and by flags (`flags`: directive → given on the command line).
    func checkConflicts(_ flags: [String: Bool], file: String) throws {
        var both: [String] = []
        if insecureRegistries != nil && flags["insecure-registries"] == true { both.append("insecure-registries") }
        if registryMirrors != nil && flags["registry-mirrors"] == true { both.append("registry-mirrors") }
        if !both.isEmpty {
            throw BerthError.invalid(
                "unable to configure the daemon with file \(file): the following directives are specified both as a flag and in the configuration file: \(both.joined(separator: ", "))"
            )
        }
    }
}

import BerthCore
import Foundation

/// The docker CLI's credential helpers (`credsStore`, `credHelpers` in config.json): programs
/// named `docker-credential-NAME` that `get`, `store` and `erase` credentials, so secrets live
/// in the helper's keychain rather than in config.json.
extension DockerConfig {
    /// The helper for a config.json key: its own (`credHelpers`), else the default (`credsStore`).
    static func helper(for key: String, in config: [String: Any]) -> String? {
        if let h = (config["credHelpers"] as? [String: String])?[key], !h.isEmpty { return h }
        if let h = config["credsStore"] as? String, !h.isEmpty { return h }
        return nil
    }

    /// `docker-credential-NAME` on PATH.
    static func helperPath(_ name: String) throws -> String {
        let program = "docker-credential-" + name
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        guard let dir = dirs.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }) else {
            throw CLIError(message: "Error: credential helper \(program) not found in PATH (config.json names it)")
        }
        return "\(dir)/\(program)"
    }

    struct HelperCredentials: Codable {
        var ServerURL: String
        var Username: String
        var Secret: String
    }

    /// `get`: the stored user and secret, or nil when the helper has none for `key`.
    static func helperGet(_ name: String, key: String) throws -> (user: String, password: String)? {
        let r = try Spawn.run(try helperPath(name), ["get"], stdin: Data(key.utf8))
        guard r.status == 0 else {
            if (r.stdout + r.stderr).lowercased().contains("credentials not found") { return nil }
            throw CLIError(message: "Error: docker-credential-\(name) get: " + (r.stdout + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard let c = try? JSONDecoder().decode(HelperCredentials.self, from: Data(r.stdout.utf8)), !c.Secret.isEmpty else { return nil }
        return (c.Username, c.Secret)
    }

    /// `store` (with credentials) or `erase` (without).
    static func helperPut(_ name: String, key: String, user: String?, password: String?) throws {
        let path = try helperPath(name)
        let r: Spawn.Result
        if let user, let password {
            r = try Spawn.run(path, ["store"], stdin: try JSONEncoder().encode(HelperCredentials(ServerURL: key, Username: user, Secret: password)))
        } else {
            r = try Spawn.run(path, ["erase"], stdin: Data(key.utf8))
            if r.status != 0 && (r.stdout + r.stderr).lowercased().contains("credentials not found") { return }
        }
        guard r.status == 0 else {
            let what = user == nil ? "erase" : "store"
            throw CLIError(message: "Error: docker-credential-\(name) \(what): " + (r.stdout + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

import BerthAPI
import BerthCore
import BerthImage
import Foundation

/// The docker CLI's credential file, `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`:
/// berth reads and writes the same `auths` entries, so `docker login` and `berth login` agree.
enum DockerConfig {
    static var path: String {
        let dir =
            ProcessInfo.processInfo.environment["DOCKER_CONFIG"]
            ?? ((ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        return dir + "/config.json"
    }

    /// config.json's key for a registry: Docker Hub has its historical URL, others host[:port].
    static func key(_ server: String) -> String {
        var s = server
        for p in ["https://", "http://"] where s.hasPrefix(p) { s = String(s.dropFirst(p.count)) }
        s = String(s.split(separator: "/").first ?? "")
        return s.isEmpty || s == "docker.io" || s == "index.docker.io" || s == "registry-1.docker.io" ? "https://index.docker.io/v1/" : s
    }

    static func load() -> [String: Any] {
        guard let d = FileManager.default.contents(atPath: path),
            let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any]
        else { return [:] }
        return o
    }

    /// The stored credentials for `server` (an image name's registry part).
    static func auth(for server: String) -> AuthConfig? {
        let config = load()
        if let h = helper(for: key(server), in: config) {
            guard let found = try? helperGet(h, key: key(server)) else { return nil }
            return AuthConfig(username: found.user, password: found.password, serveraddress: server)
        }
        guard let auths = config["auths"] as? [String: Any], let entry = auths[key(server)] as? [String: Any],
            let a = entry["auth"] as? String, !a.isEmpty
        else { return nil }
        var c = AuthConfig(username: nil, password: nil, serveraddress: server)
        c.auth = a
        return c.credentials == nil ? nil : c
    }

    /// Writes or (with nil) removes `server`'s entry, keeping everything else in the file.
    static func store(_ server: String, user: String?, password: String?) throws {
        var o = load()
        var auths = o["auths"] as? [String: Any] ?? [:]
        if let h = helper(for: key(server), in: o) {
            // The secret goes to the helper; config.json keeps an empty entry (as the docker CLI).
            try helperPut(h, key: key(server), user: user, password: password)
            auths[key(server)] = user == nil ? nil : [String: Any]()
        } else if let user, let password {
            auths[key(server)] = ["auth": Data("\(user):\(password)".utf8).base64EncodedString()]
        } else {
            auths[key(server)] = nil
        }
        o["auths"] = auths
        let data = try JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try FileOps.makeDirs((path as NSString).deletingLastPathComponent, mode: 0o700)
        try FileOps.writeAtomically(data, to: path, mode: 0o600)
    }

    /// The registry part of an image name (`docker.io` when it has none).
    static func registry(of image: String) -> String {
        (try? Reference.parse(image))?.domain ?? Reference.defaultDomain
    }

    /// `X-Registry-Auth` for a pull or push of `image`, when credentials are stored for its registry.
    static func header(for image: String) -> [(String, String)] {
        auth(for: registry(of: image)).map { [("X-Registry-Auth", $0.headerValue)] } ?? []
    }
}

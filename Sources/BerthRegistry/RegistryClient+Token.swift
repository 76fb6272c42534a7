import BerthCore
import Foundation

/// Bearer tokens per registry and scope, kept until they expire (not fetched per request).
public actor TokenCache {
    struct Entry { var token: String; var expires: Date }
    var entries: [String: Entry] = [:]

    public init() {}

    func get(host: String, scope: String) -> String? {
        guard let e = entries[host + " " + scope], e.expires > Date() else { return nil }
        return e.token
    }

    func put(host: String, scope: String, token: String, seconds: Int) {
        // A little before the registry's own expiry, so a token never dies mid-request.
        entries[host + " " + scope] = Entry(token: token, expires: Date().addingTimeInterval(Double(max(seconds - 10, 10))))
    }
}

extension RegistryClient {
    /// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"`.
    public static func parseChallenge(_ header: String) -> (scheme: String, params: [String: String]) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let space = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        let scheme = String(trimmed[..<space]).lowercased()
        var params: [String: String] = [:]
        var rest = Substring(trimmed[space...])
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                value = String(rest[..<end])
                rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            params[key] = value
        }
        return (scheme, params)
    }

    /// Who is asking: tokens are cached per user too.
    var who: String { credentials?.user ?? "" }

    /// The Authorization header a request starts with: a cached token, or Basic credentials
    /// for a registry known to want them.
    func cachedAuthorization(_ scope: String) async -> String? {
        if let t = await tokens.get(host: host, scope: who + " " + scope) { return t == "basic" ? basicHeader : "Bearer " + t }
        return nil
    }

    var basicHeader: String? {
        credentials.map { "Basic " + Data("\($0.user):\($0.password)".utf8).base64EncodedString() }
    }

    /// Answers a 401's challenge: Basic with the credentials, or a token for `scope`.
    func authorize(_ challenge: String, scope: String) async throws -> String {
        let (scheme, _) = Self.parseChallenge(challenge)
        if scheme == "basic" {
            guard let basic = basicHeader else { throw BerthError(.permissionDenied, "no basic auth credentials") }
            await tokens.put(host: host, scope: who + " " + scope, token: "basic", seconds: 3600)
            return basic
        }
        return "Bearer " + (try await fetchToken(challenge, scope: scope))
    }

    /// A token from the challenge's realm for `scope`, with the credentials if there are any.
    func fetchToken(_ challenge: String, scope: String) async throws -> String {
        let (scheme, params) = Self.parseChallenge(challenge)
        guard scheme == "bearer", let realm = params["realm"], var comps = URLComponents(string: realm),
            comps.scheme == "https" || plainHTTP
        else { throw BerthError(.permissionDenied, "\(host) asks for an authentication berth does not speak (\(scheme))") }
        var items = comps.queryItems ?? []
        if let service = params["service"] { items.append(URLQueryItem(name: "service", value: service)) }
        // Several scopes (a push that mounts from another repository) go as one `scope` each,
        // as the token spec has it.
        for one in (params["scope"] ?? scope).split(separator: " ") { items.append(URLQueryItem(name: "scope", value: String(one))) }
        comps.queryItems = items
        guard let url = comps.url else { throw BerthError.invalid("invalid token realm: \(realm)") }
        let answer: Response
        do {
            // Basic credentials go to the token service the registry named.
            answer = try await Self.collect(
                try await send("GET", url, headers: basicHeader.map { ["Authorization": $0] } ?? [:], body: nil, timeout: .seconds(60)))
        } catch {
            throw BerthError.internal("fetching a token from \(url): \(Self.describe(error))")
        }
        guard answer.status == 200 else {
            throw BerthError(.permissionDenied, "pull access denied for \(host): the token service refused (\(answer.status))")
        }
        let data = answer.body
        struct Token: Decodable { var token: String?; var access_token: String?; var expires_in: Int? }
        guard let t = try? JSONDecoder().decode(Token.self, from: data), let token = t.token ?? t.access_token else {
            throw BerthError.invalid("the token service of \(host) answered without a token")
        }
        await tokens.put(host: host, scope: who + " " + scope, token: token, seconds: t.expires_in ?? 60)
        return token
    }
}

import AsyncHTTPClient
import BerthCore
import BerthImage
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A client for one registry (the OCI distribution API, Docker Registry v2): manifests and
/// blobs, with the token flow registries ask for. On AsyncHTTPClient: per-registry TLS from
/// certs.d, streamed downloads. Kept out of the CLI's modules, whose start-up does without NIO.
public struct RegistryClient: Sendable {
    /// `registry-1.docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    public let host: String
    /// Plain HTTP: only for loopback registries (and ones an operator marks insecure).
    public internal(set) var plainHTTP: Bool
    /// A registry berth may not verify (loopback, insecure): `resolvingScheme()` tries HTTPS
    /// without checking the certificate first, as dockerd does.
    public internal(set) var probesTLS = false
    let tokens: TokenCache
    /// This registry's CAs and client certificate (certs.d), or nil for the system's CAs only.
    var tls: TLSConfiguration?
    /// Basic credentials, sent only to this registry (and its token service when it asks).
    public var credentials: (user: String, password: String)?

    public init(host: String, plainHTTP: Bool, tokens: TokenCache = TokenCache(), tls: TLSConfiguration? = nil) {
        self.host = host
        self.plainHTTP = plainHTTP
        self.tokens = tokens
        self.tls = tls
    }

    /// Docker's mapping: `docker.io` is served by registry-1.docker.io; loopback and insecure
    /// registries are not verified (HTTPS unchecked, else HTTP: see `resolvingScheme()`) unless
    /// certs.d has a folder for them (`certsDir/HOST:PORT`), whose `*.crt` CAs and
    /// `client.cert`/`client.key` then hold for HTTPS to that registry.
    public static func forDomain(
        _ domain: String, insecure: Set<String> = [], tokens: TokenCache = TokenCache(), certsDir: String? = nil
    ) throws -> RegistryClient {
        let host = domain == Reference.defaultDomain ? "registry-1.docker.io" : domain
        let name = host.split(separator: ":").first.map(String.init) ?? host
        let loopback = name == "localhost" || name.hasPrefix("127.") || name == "[::1]"
        let tls = try certsDir.flatMap { try RegistryTLS.configuration(certsDir: $0, host: host) }
        var client = RegistryClient(host: host, plainHTTP: tls == nil && (loopback || insecure.contains(domain)), tokens: tokens, tls: tls)
        client.probesTLS = client.plainHTTP
        return client
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// GET `path` under /v2/ (`library/busybox/manifests/latest`), answering a 401 with the
    /// token its challenge names for `scope`, once.
    public func get(_ path: String, accept: [String] = [], scope: String) async throws -> Response {
        try await request("GET", path, accept: accept, scope: scope)
    }

    /// Any request under /v2/ (or to an absolute upload `Location` the registry gave), its
    /// answer read whole (manifests, configs, error texts: small). A dropped connection, a 429
    /// or a 5xx is tried again after a back-off (0.5 s, 1 s, 2 s, or the registry's
    /// `Retry-After` up to 10 s).
    public func request(
        _ method: String, _ path: String, accept: [String] = [], body: Data? = nil, contentType: String? = nil,
        headers: [String: String] = [:], scope: String
    ) async throws -> Response {
        let url = try self.url(path)
        var fixed = headers
        if let contentType { fixed["Content-Type"] = contentType }
        if !accept.isEmpty { fixed["Accept"] = accept.joined(separator: ", ") }
        var attempt = 0
        while true {
            attempt += 1
            let last = attempt > Self.retries
            let r: Response
            do {
                let answer = try await authorized(scope) { authorization in
                    var h = fixed
                    if let authorization { h["Authorization"] = authorization }
                    return try await send(method, url, headers: h, body: body)
                }
                r = try await Self.collect(answer)
            } catch let e as BerthError {
                throw e
            } catch {
                if !last && Self.transient(error) {
                    try await Self.backOff(attempt, retryAfter: nil)
                    continue
                }
                throw BerthError.internal("\(method.capitalized) \"\(url)\": \(Self.describe(error))")
            }
            if !last && Self.retried(r.status) {
                try await Self.backOff(attempt, retryAfter: r.header("Retry-After").flatMap { Int($0) })
                continue
            }
            return r
        }
    }

    /// `path` under /v2/, a path on the registry (`/v2/…/uploads/…`), or an absolute URL.
    func url(_ path: String) throws -> URL {
        let text: String
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            text = path
        } else {
            text = (plainHTTP ? "http://" : "https://") + host + (path.hasPrefix("/") ? path : "/v2/" + path)
        }
        guard let u = URL(string: text) else { throw BerthError.invalid("invalid registry address: \(text)") }
        return u
    }

    /// Sends with what the cache holds for `scope`, and once more answering a 401's challenge.
    func authorized(_ scope: String, _ send: (String?) async throws -> HTTPClientResponse) async throws -> HTTPClientResponse {
        let r = try await send(await cachedAuthorization(scope))
        guard r.status == .unauthorized, let challenge = r.headers.first(name: "WWW-Authenticate") else { return r }
        _ = try? await r.body.collect(upTo: Self.smallBody)
        return try await send(try await authorize(challenge, scope: scope))
    }

    /// Answers worth another try.
    static func retried(_ status: Int) -> Bool { status == 429 || (500...504).contains(status) }

    /// Tries after the first: three.
    static let retries = 3

    static func backOff(_ attempt: Int, retryAfter: Int?) async throws {
        let seconds = retryAfter.map { Double(min(max($0, 0), 10)) } ?? 0.5 * Double(1 << (attempt - 1))
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }

    /// The registry's error text: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`.
    static func errorText(_ r: Response) -> String {
        struct Errors: Decodable {
            struct E: Decodable { var code: String?; var message: String? }
            var errors: [E]?
        }
        if let e = (try? JSONDecoder().decode(Errors.self, from: r.body))?.errors?.first {
            return [e.code, e.message].compactMap { $0 }.joined(separator: ": ")
        }
        return "HTTP \(r.status)"
    }
}

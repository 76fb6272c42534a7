import BerthCore
import BerthImage
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client for one registry (the OCI distribution API, Docker Registry v2): manifests and
/// blobs, with the token flow registries ask for. Kept out of the CLI's modules: it links
/// Foundation's networking, which the CLI's start-up does without.
public struct RegistryClient: Sendable {
    /// `registry-1.docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    public let host: String
    /// Plain HTTP: only for loopback registries (and ones an operator marks insecure).
    public let plainHTTP: Bool
    let tokens: TokenCache
    let session: URLSession
    /// Basic credentials, sent only to this registry (and its token service when it asks).
    public var credentials: (user: String, password: String)?

    public init(host: String, plainHTTP: Bool, tokens: TokenCache = TokenCache()) {
        self.host = host
        self.plainHTTP = plainHTTP
        self.tokens = tokens
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 60
        self.session = URLSession(configuration: config, delegate: ChallengeReturner(), delegateQueue: nil)
    }

    /// Docker's mapping: `docker.io` is served by registry-1.docker.io; loopback speaks HTTP.
    public static func forDomain(_ domain: String, insecure: Set<String> = [], tokens: TokenCache = TokenCache()) -> RegistryClient {
        let host = domain == Reference.defaultDomain ? "registry-1.docker.io" : domain
        let name = host.split(separator: ":").first.map(String.init) ?? host
        let loopback = name == "localhost" || name.hasPrefix("127.") || name == "[::1]"
        return RegistryClient(host: host, plainHTTP: loopback || insecure.contains(domain), tokens: tokens)
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

    /// Any request under /v2/ (or to an absolute upload `Location` the registry gave).
    public func request(
        _ method: String, _ path: String, accept: [String] = [], body: Data? = nil, contentType: String? = nil,
        headers: [String: String] = [:], scope: String
    ) async throws -> Response {
        let url = try self.url(path)
        return try await authorized(scope) { authorization in
            var req = URLRequest(url: url)
            req.httpMethod = method
            if let body { req.httpBody = body }
            if let contentType { req.setValue(contentType, forHTTPHeaderField: "Content-Type") }
            for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
            if !accept.isEmpty { req.setValue(accept.joined(separator: ", "), forHTTPHeaderField: "Accept") }
            if let authorization { req.setValue(authorization, forHTTPHeaderField: "Authorization") }
            return try await exchange(req) { req in
                let (data, resp) = try await session.data(for: req)
                return (resp, { _ in data })
            }
        }
    }

    /// GET of a blob straight into `dest` (Foundation writes it to a file, so a large layer never
    /// sits in memory); answers the status.
    public func download(_ path: String, to dest: String, scope: String) async throws -> Response {
        let url = try self.url(path)
        return try await authorized(scope) { authorization in
            var req = URLRequest(url: url)
            if let authorization { req.setValue(authorization, forHTTPHeaderField: "Authorization") }
            return try await exchange(req) { req in
                let (file, resp) = try await session.download(for: req)
                return (
                    resp,
                    { status in
                        defer { try? FileManager.default.removeItem(at: file) }
                        // An error answer is small: its text names the problem.
                        guard status == 200 else { return (try? Data(contentsOf: file)) ?? Data() }
                        unlink(dest)
                        do { try FileManager.default.moveItem(atPath: file.path, toPath: dest) } catch {
                            throw BerthError.posix("store download \(dest)")
                        }
                        return Data()
                    }
                )
            }
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
    func authorized(_ scope: String, _ send: (String?) async throws -> Response) async throws -> Response {
        var r = try await send(await cachedAuthorization(scope))
        if r.status == 401, let challenge = r.header("WWW-Authenticate") {
            r = try await send(try await authorize(challenge, scope: scope))
        }
        return r
    }

    /// One request through Foundation: `perform` sends it and hands back the answer and a way to
    /// take its body given the status; errors become berth's, a turned-down challenge a 401.
    /// A dropped connection, a 429 or a 5xx is tried again after a back-off (0.5 s, 1 s, 2 s, or
    /// the registry's `Retry-After` up to 10 s); a download starts over, its digest checked after.
    func exchange(
        _ req: URLRequest, _ perform: (URLRequest) async throws -> (URLResponse, (Int) throws -> Data)
    ) async throws -> Response {
        var attempt = 0
        while true {
            attempt += 1
            let last = attempt > Self.retries
            let (resp, body): (URLResponse, (Int) throws -> Data)
            do {
                (resp, body) = try await perform(req)
            } catch let e as URLError where e.code == .cancelled {
                return Self.basicChallenged
            } catch {
                if !last {
                    try await Self.backOff(attempt, retryAfter: nil)
                    continue
                }
                throw BerthError.internal("\((req.httpMethod ?? "GET").capitalized) \"\(req.url?.absoluteString ?? "")\": \(error.localizedDescription)")
            }
            guard let http = resp as? HTTPURLResponse else { throw BerthError.internal("not an HTTP answer from \(host)") }
            var headers: [String: String] = [:]
            for (k, v) in http.allHeaderFields { headers[String(describing: k)] = String(describing: v) }
            let r = Response(status: http.statusCode, headers: headers, body: try body(http.statusCode))
            if !last && (r.status == 429 || (500...504).contains(r.status)) {
                try await Self.backOff(attempt, retryAfter: r.header("Retry-After").flatMap { Int($0) })
                continue
            }
            return r
        }
    }

    /// Tries after the first: three.
    static let retries = 3

    static func backOff(_ attempt: Int, retryAfter: Int?) async throws {
        let seconds = retryAfter.map { Double(min(max($0, 0), 10)) } ?? 0.5 * Double(1 << (attempt - 1))
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }

    /// berth never cancels a registry request: a cancelled one is a Basic (or Digest) 401 whose
    /// challenge the delegate below turned down.
    static let basicChallenged = Response(status: 401, headers: ["WWW-Authenticate": "Basic realm=\"registry\""], body: Data())

    /// Turns down Foundation's own answer to a 401 challenge, so berth decides what to send.
    /// (Foundation on Linux waits for ever on a Basic challenge with default handling, and ends
    /// the task as cancelled when it is turned down.)
    final class ChallengeReturner: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
            completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
        ) {
            completionHandler(.rejectProtectionSpace, nil)
        }
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

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
        _ method: String, _ path: String, accept: [String] = [], body: Data? = nil, contentType: String? = nil, scope: String
    ) async throws -> Response {
        let url: URL
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            guard let u = URL(string: path) else { throw BerthError.invalid("invalid registry location: \(path)") }
            url = u
        } else if path.hasPrefix("/") {
            guard let u = URL(string: (plainHTTP ? "http://" : "https://") + host + path) else {
                throw BerthError.invalid("invalid registry location: \(path)")
            }
            url = u
        } else {
            guard let u = URL(string: (plainHTTP ? "http://" : "https://") + host + "/v2/" + path) else {
                throw BerthError.invalid("invalid registry address: \(host)/\(path)")
            }
            url = u
        }
        var r = try await send(
            method, url, accept: accept, body: body, contentType: contentType, authorization: await cachedAuthorization(scope))
        if r.status == 401, let challenge = r.header("WWW-Authenticate") {
            let authorization = try await authorize(challenge, scope: scope)
            r = try await send(method, url, accept: accept, body: body, contentType: contentType, authorization: authorization)
        }
        return r
    }

    func send(_ method: String, _ url: URL, accept: [String], body: Data?, contentType: String?, authorization: String?) async throws -> Response {
        var req = URLRequest(url: url)
        req.httpMethod = method
        if let body { req.httpBody = body }
        if let contentType { req.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if !accept.isEmpty { req.setValue(accept.joined(separator: ", "), forHTTPHeaderField: "Accept") }
        if let authorization { req.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, resp): (Data, URLResponse)
        do {
            (data, resp) = try await session.data(for: req)
        } catch let e as URLError where e.code == .cancelled {
            return Self.basicChallenged
        } catch {
            throw BerthError.internal("Get \"\(url)\": \(error.localizedDescription)")
        }
        guard let http = resp as? HTTPURLResponse else { throw BerthError.internal("not an HTTP answer from \(host)") }
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers[String(describing: k)] = String(describing: v) }
        return Response(status: http.statusCode, headers: headers, body: data)
    }

    /// GET of a blob straight into `dest` (Foundation writes it to a file, so a large layer never
    /// sits in memory); answers the status. The 401 → token → retry dance as `request`.
    public func download(_ path: String, to dest: String, scope: String) async throws -> Response {
        guard let url = URL(string: (plainHTTP ? "http://" : "https://") + host + "/v2/" + path) else {
            throw BerthError.invalid("invalid registry address: \(host)/\(path)")
        }
        func once(_ authorization: String?) async throws -> Response {
            var req = URLRequest(url: url)
            if let authorization { req.setValue(authorization, forHTTPHeaderField: "Authorization") }
            let (file, resp): (URL, URLResponse)
            do {
                (file, resp) = try await session.download(for: req)
            } catch let e as URLError where e.code == .cancelled {
                return Self.basicChallenged
            } catch {
                throw BerthError.internal("Get \"\(url)\": \(error.localizedDescription)")
            }
            guard let http = resp as? HTTPURLResponse else { throw BerthError.internal("not an HTTP answer from \(host)") }
            var headers: [String: String] = [:]
            for (k, v) in http.allHeaderFields { headers[String(describing: k)] = String(describing: v) }
            var body = Data()
            if http.statusCode == 200 {
                unlink(dest)
                do { try FileManager.default.moveItem(atPath: file.path, toPath: dest) } catch {
                    try? FileManager.default.removeItem(at: file)
                    throw BerthError.posix("store download \(dest)")
                }
            } else {
                // An error answer is small: its text names the problem.
                body = (try? Data(contentsOf: file)) ?? Data()
                try? FileManager.default.removeItem(at: file)
            }
            return Response(status: http.statusCode, headers: headers, body: body)
        }
        var r = try await once(await cachedAuthorization(scope))
        if r.status == 401, let challenge = r.header("WWW-Authenticate") {
            r = try await once(try await authorize(challenge, scope: scope))
        }
        return r
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

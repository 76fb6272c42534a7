import AsyncHTTPClient
import BerthCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

extension RegistryClient {
    /// One client for all registries: its pool keeps connections per host (and TLS settings).
    /// Redirects are followed here, not by the client, so Authorization never leaves the
    /// registry's host; a connection idle for a minute mid-answer counts as dropped.
    static let http: HTTPClient = {
        var config = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30), read: .seconds(60)))
        config.decompression = .disabled
        // A refused connection fails at once (the client's own retries would wait out the
        // connect timeout): berth's back-off retries, and skips a dead mirror quickly.
        config.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }()

    /// Error texts, manifests and configs are read whole up to this; more is refused.
    static let smallBody = 64 << 20

    /// One request, following redirects (at most 10): Authorization only to this registry's own
    /// host, its certs.d TLS only there; 303 (and 301/302 after a POST) go on as GET, as HTTP
    /// clients do. The answer's body is still to be read.
    func send(
        _ method: String, _ url: URL, headers: [String: String], body: Data?, timeout: TimeAmount = .minutes(10)
    ) async throws -> HTTPClientResponse {
        var url = url, method = method, headers = headers, body = body
        for _ in 0...10 {
            var req = HTTPClientRequest(url: url.absoluteString)
            req.method = HTTPMethod(rawValue: method)
            for (k, v) in headers { req.headers.add(name: k, value: v) }
            if let body { req.body = .bytes(ByteBuffer(bytes: body)) }
            let own = isOwn(url)
            if own, let tls { req.tlsConfiguration = tls }
            let r = try await Self.http.execute(req, timeout: timeout)
            let code = Int(r.status.code)
            guard [301, 302, 303, 307, 308].contains(code), let loc = r.headers.first(name: "Location"),
                let next = URL(string: loc, relativeTo: url)?.absoluteURL, next.scheme == "https" || next.scheme == "http"
            else { return r }
            _ = try? await r.body.collect(upTo: Self.smallBody)
            if !isOwn(next) { headers["Authorization"] = nil }
            if code == 303 || ((code == 301 || code == 302) && method == "POST") {
                method = "GET"
                body = nil
                headers["Content-Type"] = nil
            }
            url = next
        }
        throw BerthError.internal("too many redirects from \(host)")
    }

    /// An address on this registry itself (where its credentials and certificates belong).
    func isOwn(_ url: URL) -> Bool {
        guard let h = url.host else { return false }
        let port = url.port.map { ":\($0)" } ?? ""
        let bracketed = h.contains(":") && !h.hasPrefix("[") ? "[\(h)]" : h
        return bracketed + port == host || (port.isEmpty && host == bracketed + (url.scheme == "https" ? ":443" : ":80"))
    }

    /// The whole answer, its body read (up to `smallBody`).
    static func collect(_ r: HTTPClientResponse) async throws -> Response {
        var headers: [String: String] = [:]
        for (k, v) in r.headers { headers[k] = headers[k].map { $0 + ", " + v } ?? v }
        let buf: ByteBuffer
        do {
            buf = try await r.body.collect(upTo: smallBody)
        } catch is NIOTooManyBytesError {
            throw BerthError.invalid("the registry's answer is larger than \(smallBody >> 20) MiB, the most berth reads for a manifest, config or error")
        }
        return Response(status: Int(r.status.code), headers: headers, body: Data(buf.readableBytesView))
    }

    /// Whether a failed exchange is worth trying again: not a TLS refusal (a wrong CA or
    /// certificate stays wrong), nor a body over the limit.
    static func transient(_ error: any Error) -> Bool {
        // The pull was cancelled (its client went away): not a network error to retry.
        if Task.isCancelled || error is CancellationError { return false }
        if error is NIOSSLError || error is BoringSSLError { return false }
        if let e = error as? HTTPClientError, e == .invalidURL { return false }
        if error is NIOTooManyBytesError { return false }
        if let e = error as? BerthError, e.code == .invalidArgument { return false }
        return true
    }

    /// A transport error in words (TLS failures name the certificate problem).
    static func describe(_ error: any Error) -> String {
        if let e = error as? NIOSSLError { return "tls: \(e)" }
        if let e = error as? BoringSSLError { return "tls: \(e)" }
        return String(describing: error)
    }
}

/// certs.d as Docker reads it: `DIR/HOST:PORT/*.crt` are CAs trusted for that registry (beside
/// the system's), `NAME.cert` with `NAME.key` a client certificate it is shown.
public enum RegistryTLS {
    /// nil when certs.d has no folder for `host`.
    public static func configuration(certsDir: String, host: String) throws -> TLSConfiguration? {
        let dir = certsDir + "/" + host
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { return nil }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        var c = TLSConfiguration.makeClientConfiguration()
        func read<T>(_ file: String, _ body: (String) throws -> T) throws -> T {
            do { return try body(dir + "/" + file) } catch {
                throw BerthError.invalid("certs.d \(host)/\(file): not a PEM certificate or key (\(error))")
            }
        }
        var roots: [NIOSSLCertificate] = []
        for f in files where f.hasSuffix(".crt") { roots += try read(f) { try NIOSSLCertificate.fromPEMFile($0) } }
        if !roots.isEmpty { c.additionalTrustRoots = [.certificates(roots)] }
        for f in files where f.hasSuffix(".cert") {
            let key = String(f.dropLast(5)) + ".key"
            guard files.contains(key) else {
                throw BerthError.invalid(
                    "missing key \(key) for client certificate \(f) in certs.d \(host). CA certificates should use the extension .crt")
            }
            c.certificateChain = try read(f) { try NIOSSLCertificate.fromPEMFile($0).map { .certificate($0) } }
            c.privateKey = .privateKey(try read(key) { try NIOSSLPrivateKey(file: $0, format: .pem) })
        }
        for f in files where f.hasSuffix(".key") && !files.contains(String(f.dropLast(4)) + ".cert") {
            throw BerthError.invalid("missing client certificate \(String(f.dropLast(4))).cert for key \(f) in certs.d \(host)")
        }
        return c
    }
}

import BerthCore
import Foundation

/// A handler that answers only some GET paths of another (the TCP listeners: `/metrics`
/// for a scraper, the history page), and 404 to everything else, so no other API is reachable
/// over TCP.
public struct PathFilter: APIHandler {
    let inner: any APIHandler
    let allowed: @Sendable (String) -> Bool

    public init(_ inner: any APIHandler, allowed: @escaping @Sendable (String) -> Bool) {
        self.inner = inner
        self.allowed = allowed
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        guard request.method == "GET" || request.method == "HEAD", allowed(request.path) else {
            return .error(BerthError.notFound("page not found: \(request.method) \(request.path)"))
        }
        return await inner.handle(request)
    }
}

/// A `host:port` for a TCP listener; loopback only unless `insecure` (nothing but the page
/// it serves, and no authentication).
public enum TCPAddress {
    public static func parse(_ text: String, flag: String, insecure: Bool = false) throws -> (host: String, port: Int) {
        var host = "", portText = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw BerthError.invalid("\(flag): expected HOST:PORT, got \(text)") }
            portText = String(rest.dropFirst())
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else {
            throw BerthError.invalid("\(flag): expected HOST:PORT with a port from 1 to 65535, got \(text)")
        }
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        if !loopback && !insecure {
            throw BerthError.invalid(
                "\(flag): \(host) is not a loopback address; berthd serves it without authentication, so only 127.0.0.1 or ::1 unless you also pass \(flag)-insecure")
        }
        return (host, port)
    }
}

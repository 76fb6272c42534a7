import BerthCore
import Foundation

/// The CLI's way to ask berthd for changes: HTTP over the unix socket, the same endpoints the
/// docker CLI uses.
public struct APIClient: Sendable {
    public let socketPath: String
    /// How to start berthd, for the error when it cannot be reached.
    public let startHint: String

    public init(socketPath: String, startHint: String) {
        self.socketPath = socketPath
        self.startHint = startHint
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        /// Header names in lower case.
        public var headers: [String: String] = [:]
    }

    public enum Body: Sendable {
        case none
        case data(Data)
        /// A file (or stdin, fd 0) streamed as the request body.
        case fileDescriptor(Int32, length: Int64?)
    }

    public enum Method: String, Sendable {
        case GET, POST, DELETE, HEAD, PUT
    }

    func target(_ path: String, _ query: [(String, String)]) -> String {
        var uri = "/v\(APIVersion.current)" + path
        if !query.isEmpty {
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "&=+?/:#")
            uri +=
                "?"
                + query.map { k, v in
                    (k.addingPercentEncoding(withAllowedCharacters: allowed) ?? k) + "="
                        + (v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)
                }.joined(separator: "&")
        }
        return uri
    }

    /// Builds `/images/<name>/json` with the name escaped.
    public func path(_ prefix: String, _ name: String, _ suffix: String = "") -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return prefix + "/" + (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name) + suffix
    }

    /// Sends a request; non-2xx answers become BerthErrors carrying the daemon's message.
    public func send(
        _ method: Method, _ path: String, query: [(String, String)] = [],
        body: Body = .none, headers extra: [(String, String)] = []
    ) async throws -> Response {
        let (conn, head) = try exchange(method, path, query: query, body: body, extraHeaders: extra)
        var data = Data()
        // A HEAD answer announces a length but carries no body.
        if method != .HEAD { try conn.readBody(head) { data.append(contentsOf: $0) } }
        if head.status >= 400 { throw Self.error(status: head.status, body: data) }
        return Response(status: head.status, body: data, headers: head.headers)
    }

    /// Streams a response body to `fd` (for save).
    @discardableResult
    public func download(_ path: String, query: [(String, String)] = [], to fd: Int32) async throws -> [String: String] {
        let (conn, head) = try exchange(.GET, path, query: query, body: .none)
        if head.status >= 400 {
            var data = Data()
            try conn.readBody(head) { data.append(contentsOf: $0) }
            throw Self.error(status: head.status, body: data)
        }
        try conn.readBody(head) { chunk in
            try chunk.withUnsafeBytes { try FileOps.writeAll(fd, $0, what: "output") }
        }
        return head.headers
    }

    /// Whether nothing answers on the socket (berthd down), checked without a request.
    public static func isDown(_ socketPath: String) -> Bool {
        if case .failure = UnixHTTPConnection.connect(socketPath) { return true }
        return false
    }

    /// A response whose head has arrived and whose body is read later.
    // @unchecked: owns one connection, read by one caller at a time (its body, once).
    public final class Pending: @unchecked Sendable {
        let conn: UnixHTTPConnection
        let head: UnixHTTPConnection.Head
        init(conn: UnixHTTPConnection, head: UnixHTTPConnection.Head) { self.conn = conn; self.head = head }

        public var status: Int { head.status }

        /// Reads the rest of the body; an error status becomes a BerthError.
        public func body() throws -> Data {
            var data = Data()
            try conn.readBody(head) { data.append(contentsOf: $0) }
            if head.status >= 400 { throw APIClient.error(status: head.status, body: data) }
            return data
        }

        /// Hands the body over piece by piece as it arrives.
        public func stream(_ sink: (ArraySlice<UInt8>) throws -> Void) throws {
            if head.status >= 400 { _ = try body() }
            try conn.readBody(head, sink)
        }
    }

    /// Sends a request and returns once the response head is in (Docker's wait-before-start).
    public func begin(
        _ method: Method, _ path: String, query: [(String, String)] = [], body: Body = .none, headers: [(String, String)] = []
    ) throws -> Pending {
        let (conn, head) = try exchange(method, path, query: query, body: body, upgrade: false, extraHeaders: headers)
        return Pending(conn: conn, head: head)
    }

    /// A connection berthd took over after the head (attach, exec start): raw bytes both ways.
    // @unchecked: owns one socket; one thread reads it and one writes it, as a socket allows.
    public final class RawStream: @unchecked Sendable {
        let conn: UnixHTTPConnection
        public var fd: Int32 { conn.fd }
        /// Stream bytes that came in with the head.
        public let initial: [UInt8]
        init(conn: UnixHTTPConnection, initial: [UInt8]) { self.conn = conn; self.initial = initial }
    }

    /// Sends a request asking berthd to hijack the connection (Docker's `Upgrade: tcp`).
    public func hijack(
        _ method: Method, _ path: String, query: [(String, String)] = [],
        body: Body = .none
    ) throws -> RawStream {
        let (conn, head) = try exchange(method, path, query: query, body: body, upgrade: true)
        guard head.status == 101 || head.status == 200 else {
            var data = Data()
            try conn.readBody(head) { data.append(contentsOf: $0) }
            throw Self.error(status: head.status, body: data)
        }
        return RawStream(conn: conn, initial: conn.takeBuffered())
    }

    func exchange(
        _ method: Method, _ path: String, query: [(String, String)],
        body: Body, upgrade: Bool = false, extraHeaders: [(String, String)] = []
    ) throws -> (UnixHTTPConnection, UnixHTTPConnection.Head) {
        let conn: UnixHTTPConnection
        switch UnixHTTPConnection.connect(socketPath) {
        case .success(let c): conn = c
        case .failure(let e) where e.code == .permissionDenied:
            throw e
        case .failure(let e):
            throw BerthError(.unavailable, "Cannot connect to berthd at unix://\(socketPath): \(e.message). Is berthd running? Start it with: \(startHint)")
        }
        // A header value with a line break would smuggle a second header.
        var headers = extraHeaders.filter { !$0.1.contains("\r") && !$0.1.contains("\n") }
        let wire: UnixHTTPConnection.Body
        switch body {
        case .none:
            wire = .none
        case .data(let d):
            headers.append(("Content-Type", "application/json"))
            wire = .data(d)
        case .fileDescriptor(let fd, let length):
            headers.append(("Content-Type", "application/x-tar"))
            wire = .fileDescriptor(fd, length: length)
        }
        try conn.send(method: method.rawValue, target: target(path, query), headers: headers, body: wire, upgrade: upgrade)
        return (conn, try conn.readHead())
    }

    static func error(status: Int, body: Data) -> BerthError {
        let message =
            (try? JSONDecoder().decode([String: String].self, from: body))?["message"]
            ?? String(decoding: body, as: UTF8.self)
        let code: BerthError.Code
        switch status {
        case 404: code = .notFound
        case 409: code = .conflict
        case 400: code = .invalidArgument
        case 503: code = .unavailable
        default: code = .internalError
        }
        return BerthError(code, message.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

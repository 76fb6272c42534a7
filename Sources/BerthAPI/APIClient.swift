import AsyncHTTPClient
import BerthCore
import Foundation
import NIOCore
import NIOHTTP1

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
    }

    public enum Body: Sendable {
        case none
        case data(Data)
        /// A file (or stdin, fd 0) streamed as the request body.
        case fileDescriptor(Int32, length: Int64?)
    }

    func url(_ path: String, _ query: [(String, String)]) -> String {
        var uri = "/v\(APIVersion.current)" + path
        if !query.isEmpty {
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "&=+?/:#")
            uri += "?" + query.map { k, v in
                (k.addingPercentEncoding(withAllowedCharacters: allowed) ?? k) + "="
                    + (v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)
            }.joined(separator: "&")
        }
        return URL(httpURLWithSocketPath: socketPath, uri: uri)!.absoluteString
    }

    func encodePath(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Builds `/images/<name>/json` with the name escaped.
    public func path(_ prefix: String, _ name: String, _ suffix: String = "") -> String {
        prefix + "/" + encodePath(name) + suffix
    }

    /// Sends a request; non-2xx answers become BerthErrors carrying the daemon's message.
    public func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                     body: Body = .none, timeout: TimeAmount = .hours(24)) async throws -> Response {
        let response = try await execute(method, path, query: query, body: body, timeout: timeout)
        var data = Data()
        for try await var chunk in response.body {
            if let bytes = chunk.readBytes(length: chunk.readableBytes) { data.append(contentsOf: bytes) }
        }
        let status = Int(response.status.code)
        if status >= 400 { throw Self.error(status: status, body: data) }
        return Response(status: status, body: data)
    }

    /// Streams a response body to `fd` (for save).
    public func download(_ path: String, query: [(String, String)] = [], to fd: Int32) async throws {
        let response = try await execute(.GET, path, query: query, body: .none, timeout: .hours(24))
        let status = Int(response.status.code)
        if status >= 400 {
            var data = Data()
            for try await var chunk in response.body {
                if let bytes = chunk.readBytes(length: chunk.readableBytes) { data.append(contentsOf: bytes) }
            }
            throw Self.error(status: status, body: data)
        }
        for try await chunk in response.body {
            try chunk.withUnsafeReadableBytes { buf in
                var off = 0
                while off < buf.count {
                    let n = write(fd, buf.baseAddress! + off, buf.count - off)
                    if n < 0 { if errno == EINTR { continue }; throw BerthError.posix("write output") }
                    off += n
                }
            }
        }
    }

    func execute(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: Body,
                 timeout: TimeAmount) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url(path, query))
        request.method = method
        switch body {
        case .none:
            break
        case .data(let d):
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: d))
        case .fileDescriptor(let fd, let length):
            request.headers.add(name: "Content-Type", value: "application/x-tar")
            request.body = .stream(FileChunks(fd: fd), length: length.map { .known($0) } ?? .unknown)
        }
        // AsyncHTTPClient retries a refused connection until its timeout: ask the socket first,
        // so a stopped berthd is reported at once.
        if let err = Self.probe(socketPath) {
            throw BerthError(.unavailable, "Cannot connect to berthd at unix://\(socketPath): \(String(cString: strerror(err))). Is berthd running? Start it with: \(startHint)")
        }
        do {
            return try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw BerthError(.unavailable, "Cannot connect to berthd at unix://\(socketPath): \(Self.describe(error)). Is berthd running? Start it with: \(startHint)")
        }
    }

    /// Connects to the unix socket and hangs up; returns the errno when that fails.
    static func probe(_ path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            buf.copyBytes(from: bytes)
            buf[bytes.count] = 0
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return r == 0 ? nil : errno
    }

    static func describe(_ error: any Error) -> String {
        let s = String(describing: error)
        if s.contains("connectionRefused") || s.contains("Connection refused") { return "connection refused" }
        if s.contains("No such file") || s.contains("ENOENT") { return "no such socket" }
        return s
    }

    static func error(status: Int, body: Data) -> BerthError {
        let message = (try? JSONDecoder().decode([String: String].self, from: body))?["message"]
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

/// A file descriptor read in chunks as an async sequence of buffers (request bodies).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let fd: Int32

    struct AsyncIterator: AsyncIteratorProtocol {
        let fd: Int32
        mutating func next() async throws -> ByteBuffer? {
            var buf = ByteBuffer()
            buf.reserveCapacity(1 << 20)
            let n = try buf.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 20) { ptr -> Int in
                while true {
                    let n = read(fd, ptr.baseAddress, ptr.count)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { throw BerthError.posix("read input") }
                    return n
                }
            }
            return n == 0 ? nil : buf
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fd: fd) }
}

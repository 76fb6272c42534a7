import BerthCore
import Foundation

/// One blocking HTTP/1.1 exchange over a unix socket: what a short-lived CLI needs, without an
/// event loop (the CLI starts in a few milliseconds; SwiftNIO alone costs more than that). It
/// writes the request (streaming a file body with chunked encoding when its length is unknown)
/// and reads the response head, then the body by length, chunks or until close.
final class UnixHTTPConnection {
    let fd: Int32
    private var buffer = [UInt8]()
    private var start = 0

    /// Connects; returns the errno on failure.
    static func connect(_ path: String) -> Result<UnixHTTPConnection, BerthError> {
        do {
            return .success(UnixHTTPConnection(fd: try UnixSocket.connect(path, type: Int32(SOCK_STREAM.rawValue))))
        } catch {
            return .failure(BerthError.from(error))
        }
    }

    private init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    struct Head {
        var status: Int
        var headers: [String: String]
    }

    enum Body {
        case none
        case data(Data)
        case fileDescriptor(Int32, length: Int64?)
    }

    /// Bytes that arrived after the response head (the start of a hijacked stream).
    func takeBuffered() -> [UInt8] {
        let rest = Array(buffer[start...])
        buffer.removeAll()
        start = 0
        return rest
    }

    func send(method: String, target: String, headers: [(String, String)], body: Body, upgrade: Bool = false) throws {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: berthd\r\nUser-Agent: berth/\(APIVersion.serverVersion)\r\n"
        head += upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        switch body {
        case .none:
            head += "Content-Length: 0\r\n\r\n"
            try writeAll(Array(head.utf8))
        case .data(let d):
            head += "Content-Length: \(d.count)\r\n\r\n"
            try writeAll(Array(head.utf8))
            try writeAll(Array(d))
        case .fileDescriptor(let src, let length):
            head += length.map { "Content-Length: \($0)\r\n\r\n" } ?? "Transfer-Encoding: chunked\r\n\r\n"
            try writeAll(Array(head.utf8))
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
                if n < 0 { if errno == EINTR { continue }; throw BerthError.posix("read input") }
                if length == nil { try writeAll(Array(String(n, radix: 16).utf8) + [13, 10]) }
                if n > 0 { try writeAll(chunk[0..<n]) }
                if length == nil { try writeAll([13, 10]) }
                if n == 0 { break }
            }
        }
    }

    func readHead() throws -> Head {
        var lines: [String] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            lines.append(line)
        }
        guard let statusLine = lines.first else { throw BerthError.internal("berthd closed the connection") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw BerthError.internal("bad response from berthd: \(statusLine)")
        }
        var headers: [String: String] = [:]
        for l in lines.dropFirst() {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, headers: headers)
    }

    /// Reads the body, handing it over in pieces.
    func readBody(_ head: Head, _ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        if head.status == 204 || head.status == 304 || (100..<200).contains(head.status) { return }
        if head.headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw BerthError.internal("bad chunk from berthd")
                }
                if size == 0 { _ = try? readLine(); return }
                try readExactly(size, sink)
                _ = try readLine()
            }
        } else if let len = head.headers["content-length"].flatMap({ Int($0) }) {
            try readExactly(len, sink)
        } else {
            while try fill() { try sink(take(buffer.count - start)) }
        }
    }

    private func readExactly(_ count: Int, _ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        var left = count
        while left > 0 {
            if start == buffer.count {
                guard try fill() else { throw BerthError.internal("berthd closed the connection early") }
            }
            let n = min(left, buffer.count - start)
            try sink(take(n))
            left -= n
        }
    }

    private func take(_ n: Int) -> ArraySlice<UInt8> {
        let s = buffer[start..<(start + n)]
        start += n
        return s
    }

    private func readLine() throws -> String {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                var end = nl
                if end > start && buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                return line
            }
            guard try fill() else { throw BerthError.internal("berthd closed the connection") }
        }
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw BerthError.posix("read from berthd") }
            if n == 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    private func writeAll<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        let arr = Array(bytes)
        var off = 0
        while off < arr.count {
            let n = arr.withUnsafeBytes { write(fd, $0.baseAddress! + off, arr.count - off) }
            if n < 0 { if errno == EINTR { continue }; throw BerthError.posix("write to berthd") }
            off += n
        }
    }
}

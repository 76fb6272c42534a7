import BerthCore
import Crypto
import Foundation

/// A content digest, `sha256:<64 hex>`. Only sha256 is accepted, as in Docker.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let hex: String

    public init(hex: String) throws {
        guard hex.count == 64, Identifier.isHex(hex) else {
            throw BerthError.invalid("invalid digest: sha256:\(hex)")
        }
        self.hex = hex
    }

    /// Parses `sha256:<hex>`.
    public init(parsing s: String) throws {
        guard s.hasPrefix("sha256:") else {
            throw BerthError.invalid("invalid digest \"\(s)\": only sha256 digests are supported")
        }
        try self.init(hex: String(s.dropFirst(7)))
    }

    public var description: String { "sha256:" + hex }
    public var string: String { description }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        try self.init(parsing: try c.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// sha256 of bytes in memory.
    public static func of(_ data: some DataProtocol) -> Digest {
        let d = SHA256.hash(data: data)
        return try! Digest(hex: d.map { String(format: "%02x", $0) }.joined())
    }

    /// sha256 of a file, streamed; also returns its size.
    public static func ofFile(_ path: String) throws -> (Digest, Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BerthError.posix("open \(path)") }
        defer { close(fd) }
        var hasher = SHA256()
        var total: Int64 = 0
        let bufSize = 1 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: bufSize, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress, bufSize)
            if n < 0 { if errno == EINTR { continue }; throw BerthError.posix("read \(path)") }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            total += Int64(n)
        }
        return (Digest.finish(hasher), total)
    }

    static func finish(_ hasher: SHA256) -> Digest {
        let d = hasher.finalize()
        return try! Digest(hex: d.map { String(format: "%02x", $0) }.joined())
    }

    /// The chain id of a layer stack: chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)).
    public static func chainIDs(_ diffIDs: [Digest]) -> [Digest] {
        var out: [Digest] = []
        for d in diffIDs {
            if let prev = out.last {
                out.append(Digest.of(Array("\(prev) \(d)".utf8)))
            } else {
                out.append(d)
            }
        }
        return out
    }
}

/// Incremental sha256 for streams that berth reads once.
public struct StreamingDigest {
    var hasher = SHA256()
    public private(set) var count: Int64 = 0
    public init() {}
    public mutating func update(_ buf: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: buf)
        count += Int64(buf.count)
    }
    public func finish() -> Digest { Digest.finish(hasher) }
}

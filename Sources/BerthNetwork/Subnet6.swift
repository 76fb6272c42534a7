import Foundation
import Glibc

extension IPAddress {
    /// `fd00::2` as a number, or nil.
    public static func parseIPv6(_ s: String) -> UInt128? {
        var a = in6_addr()
        guard s.contains(":"), inet_pton(AF_INET6, s, &a) == 1 else { return nil }
        return withUnsafeBytes(of: &a) { b in b.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
    }

    /// The canonical text of an IPv6 address (`fd00::2`).
    public static func formatIPv6(_ v: UInt128) -> String {
        var a = in6_addr()
        withUnsafeMutableBytes(of: &a) { b in
            for i in 0..<16 { b[i] = UInt8(truncatingIfNeeded: v >> UInt128(8 * (15 - i))) }
        }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
        return String(cString: buf)
    }
}

/// An IPv6 subnet of a network (`fd12:3456:789a:1::/64`), for `network create --ipv6`.
public struct Subnet6: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let network: UInt128
    public let prefix: Int

    /// A network address with its prefix (48…120); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = Int(parts[1]), (48...120).contains(p), let a = IPAddress.parseIPv6(String(parts[0])) else { return nil }
        self.init(network: a, prefix: p)
    }

    public init(network address: UInt128, prefix: Int) {
        self.prefix = prefix
        self.network = address & Subnet6.mask(prefix)
    }

    static func mask(_ prefix: Int) -> UInt128 { prefix == 0 ? 0 : UInt128.max << UInt128(128 - prefix) }

    public var hostMask: UInt128 { ~Subnet6.mask(prefix) }
    public var description: String { IPAddress.formatIPv6(network) + "/\(prefix)" }
    public func contains(_ a: UInt128) -> Bool { a & Subnet6.mask(prefix) == network }

    public func overlaps(_ other: Subnet6) -> Bool {
        let m = Subnet6.mask(min(prefix, other.prefix))
        return network & m == other.network & m
    }

    /// `::1` of the subnet: the gateway, as Docker's.
    public var firstHost: UInt128 { network + 1 }
    /// The last address but one: berth's bridge keeper's.
    public var lastHost: UInt128 { (network | hostMask) - 1 }

    /// The lowest address above the gateway not in `used` (a few thousand looked at, at most).
    public func nextFree(used: Set<UInt128>, gateway: UInt128?) -> UInt128? {
        var a = network + 1
        for _ in 0..<65536 {
            guard a < lastHost else { return nil }
            if a != gateway && !used.contains(a) { return a }
            a += 1
        }
        return nil
    }

    /// A unique local /64 (RFC 4193: fd + 40 random bits + a subnet id), for `--ipv6` without
    /// a subnet.
    public static func randomULA() -> Subnet6 {
        var g = SystemRandomNumberGenerator()
        let bits: UInt64 = g.next() & 0xff_ffff_ffff
        let global = UInt128(bits)
        return Subnet6(network: (UInt128(0xfd) << 120) | (global << 80), prefix: 64)
    }
}

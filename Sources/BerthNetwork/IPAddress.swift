import Glibc

/// IPv4 addresses and subnets as berth allocates them (IPv6 is only parsed, for `-p [::1]:…`).
public enum IPAddress {
    /// Dotted quad to a number; nil unless it is exactly four decimal octets.
    public static func parseIPv4(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0 >= "0" && $0 <= "9" }), let o = UInt32(p), o <= 255 else { return nil }
            v = v << 8 | o
        }
        return v
    }

    public static func format(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
    }

    public static func isIPv4(_ s: String) -> Bool { parseIPv4(s) != nil }

    public static func isIPv6(_ s: String) -> Bool {
        var buf = in6_addr()
        return s.contains(":") && inet_pton(AF_INET6, s, &buf) == 1
    }

    /// `02:42:ac:11:00:02`: six hex pairs, a unicast address (a container's own).
    public static func isMAC(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else { return false }
        return UInt8(parts[0], radix: 16)! & 1 == 0
    }
}

/// An IPv4 subnet, `10.89.0.0/24`.
public struct Subnet: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let network: UInt32
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let addr = IPAddress.parseIPv4(String(parts[0])),
            parts[1].allSatisfy({ $0 >= "0" && $0 <= "9" }), parts[1].count <= 2, let p = Int(parts[1]), p <= 32
        else { return nil }
        self.init(network: addr, prefix: p)
    }

    /// The subnet holding `address` (host bits cleared).
    public init(network address: UInt32, prefix: Int) {
        self.prefix = prefix
        self.network = address & Subnet.mask(prefix)
    }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << (32 - prefix) }

    public var mask: UInt32 { Subnet.mask(prefix) }
    public var broadcast: UInt32 { network | ~mask }
    public var description: String { IPAddress.format(network) + "/\(prefix)" }

    public func contains(_ address: UInt32) -> Bool { address & mask == network }

    public func overlaps(_ other: Subnet) -> Bool {
        let p = min(prefix, other.prefix)
        return network & Subnet.mask(p) == other.network & Subnet.mask(p)
    }

    /// The first host address, Docker's and podman's default gateway.
    public var firstHost: UInt32? { prefix >= 31 ? nil : network + 1 }

    /// The lowest host address not in `used` and not the gateway; nil when the subnet is full.
    public func nextFree(used: Set<UInt32>, gateway: UInt32?) -> UInt32? {
        nextFree(used: used, gateway: gateway, within: self)
    }

    /// The first free host address of this range that is a host address of `outer` (its
    /// network and broadcast addresses never, the range's own edges may be).
    public func nextFree(used: Set<UInt32>, gateway: UInt32?, within outer: Subnet) -> UInt32? {
        guard outer.prefix < 31 else { return nil }
        var a = max(network, outer.network + 1)
        let end = min(broadcast, outer.broadcast - 1)
        while a <= end {
            if a != gateway && !used.contains(a) { return a }
            if a == UInt32.max { break }
            a += 1
        }
        return nil
    }
}

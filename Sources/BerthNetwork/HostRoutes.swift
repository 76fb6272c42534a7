import BerthCore
import Foundation

/// The IPv4 subnets this host already routes (/proc/net/route), so berth's default bridge
/// never shadows a LAN, a VPN, Docker's 172.17.0.0/16 or podman's 10.88.0.0/16 when present.
public enum HostRoutes {
    /// Parses /proc/net/route's text: little-endian hex destination and mask per line.
    public static func parse(_ text: String) -> [Subnet] {
        var out: [Subnet] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 8, let dst = UInt32(f[1], radix: 16), let mask = UInt32(f[7], radix: 16) else { continue }
            let d = dst.byteSwapped, m = mask.byteSwapped
            guard m != 0 else { continue }  // the default route covers everything; it is not a subnet in use
            let prefix = m.nonzeroBitCount
            guard Subnet.mask(prefix) == m else { continue }
            out.append(Subnet(network: d, prefix: prefix))
        }
        return out
    }

    public static func current() -> [Subnet] {
        (try? String(contentsOfFile: "/proc/net/route", encoding: .utf8)).map(parse) ?? []
    }

    /// The first candidate that overlaps neither a host route nor a subnet berth already uses.
    public static func pick(_ candidates: [Subnet], avoiding used: [Subnet]) -> Subnet? {
        candidates.first { c in !used.contains { $0.overlaps(c) } }
    }

    /// berth's default-bridge candidates, /16 as Docker's docker0: 10.89.0.0/16, then
    /// 10.91–10.127 (podman takes 10.88, Docker 172.17; user networks come from 10.90).
    public static func defaultCandidates() -> [Subnet] {
        ([89] + Array(91...127)).map { Subnet(network: 0x0A00_0000 | UInt32($0) << 16, prefix: 16) }
    }
}

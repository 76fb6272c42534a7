import BerthCore
import BerthNetwork
import Foundation

/// What `network create` refuses up front: names netavark's and aardvark's files cannot
/// carry, and IPv4 subnets a bridge can never use. Checked before anything is recorded.
enum NetworkRules {
    /// aardvark-dns keeps a file per network named after it, beside others with longer
    /// names: 128 bytes leaves room under the 255-byte file-name limit.
    static let maxNameBytes = 128

    /// Docker's characters (`[a-zA-Z0-9][a-zA-Z0-9_.-]`), plus inner spaces, which Docker
    /// takes too (`docker network create "my net"`).
    static func checkName(_ n: String) throws {
        guard !n.isEmpty else { throw BerthError.invalid("network name must not be empty") }
        guard n.utf8.count <= maxNameBytes else {
            throw BerthError.invalid("invalid network name: it is \(n.utf8.count) bytes long, at most \(maxNameBytes) are allowed")
        }
        let first = n.unicodeScalars.first!
        let ok = n.unicodeScalars.allSatisfy { c in
            c.isASCII && (CharacterSet.alphanumerics.contains(c) || "_.- ".unicodeScalars.contains(c))
        }
        guard ok, first.isASCII, CharacterSet.alphanumerics.contains(first), n.last != " " else {
            throw BerthError.invalid("invalid network name \"\(n)\": only [a-zA-Z0-9][a-zA-Z0-9_. -] are allowed")
        }
    }

    /// Ranges no bridge can route: this host (loopback), multicast, the reserved class E and
    /// "this network", and link-local (the kernel's own autoconfiguration).
    static let unusable: [(Subnet, String)] = [
        (Subnet(network: 0x7F00_0000, prefix: 8), "loopback"),
        (Subnet(network: 0xE000_0000, prefix: 4), "multicast"),
        (Subnet(network: 0xF000_0000, prefix: 4), "reserved"),
        (Subnet(network: 0x0000_0000, prefix: 8), "\"this network\" (0.0.0.0/8)"),
        (Subnet(network: 0xA9FE_0000, prefix: 16), "link-local"),
    ]

    /// Refuses a subnet in an unusable range; returns a warning when it overlaps a route of
    /// this host (Docker creates it, and traffic to that route's hosts then goes to the bridge).
    static func checkSubnet(_ s: Subnet, hostRoutes: [Subnet]) throws -> String? {
        if let (range, what) = unusable.first(where: { $0.0.overlaps(s) }) {
            throw BerthError.invalid("invalid subnet \(s): it overlaps the \(what) range \(range), which a bridge network cannot use")
        }
        if let r = hostRoutes.first(where: { $0.overlaps(s) }) {
            return "subnet \(s) overlaps the host's route \(r): hosts there will be unreachable from this machine while the network exists"
        }
        return nil
    }

    /// The bridge driver's options berth applies: the bridge's name and the MTU. Options whose
    /// value asks for what netavark cannot do are refused (never dropped); others are kept, as
    /// Docker keeps options its driver does not read.
    static func driverOptions(_ opts: [String: String]) throws -> (bridge: String?, mtu: Int?) {
        var bridge: String?, mtu: Int?
        for (k, v) in opts {
            switch k {
            case "com.docker.network.bridge.name":
                guard !v.isEmpty, v.utf8.count <= 15, v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) else {
                    throw BerthError.invalid("invalid bridge name \"\(v)\": at most 15 characters of [a-zA-Z0-9_.-]")
                }
                bridge = v
            case "com.docker.network.driver.mtu":
                guard let n = Int(v), (68...65535).contains(n) else { throw BerthError.invalid("invalid MTU \"\(v)\": give a number from 68 to 65535") }
                mtu = n
            case "com.docker.network.bridge.enable_icc", "com.docker.network.bridge.enable_ip_masquerade":
                guard ["true", "1"].contains(v.lowercased()) else {
                    throw BerthError.invalid("berth cannot apply \(k)=\(v): netavark's bridges always have it on")
                }
            case "com.docker.network.bridge.host_binding_ipv4":
                guard v == "0.0.0.0" else { throw BerthError.invalid("berth cannot apply \(k)=\(v): publish with -p IP:PORT:PORT instead") }
            default:
                break
            }
        }
        return (bridge, mtu)
    }

    /// IPAM's ip_range (inside the subnet) and auxiliary addresses (inside it, not the gateway).
    static func ipamExtras(subnet: Subnet, gateway: UInt32, range: String?, aux: [String: String]) throws -> Subnet? {
        var r: Subnet?
        if let range {
            guard let p = Subnet(range), p.description == range, subnet.contains(p.network), subnet.contains(p.broadcast) else {
                throw BerthError.invalid("invalid ip range \(range): give a network inside \(subnet), e.g. \(subnet.description.replacingOccurrences(of: "/\(subnet.prefix)", with: "/\(min(subnet.prefix + 1, 30))"))")
            }
            r = p
        }
        for (name, a) in aux.sorted(by: { $0.key < $1.key }) {
            guard let ip = IPAddress.parseIPv4(a), subnet.contains(ip) else {
                throw BerthError.invalid("invalid auxiliary address \(name)=\(a): it must be in subnet \(subnet)")
            }
            guard ip != gateway else { throw BerthError.invalid("auxiliary address \(name)=\(a) is the gateway") }
        }
        return r
    }
}

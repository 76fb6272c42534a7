import BerthCore
import BerthNetwork
import BerthStore
import Foundation

/// berthd's settings for Docker's default `bridge` network.
public struct DefaultNetworkConfig: Sendable, Equatable {
    /// The host bridge (Docker's docker0); berth's own so it coexists with Docker and podman.
    public var bridge = "berth0"
    /// The subnet (`--default-subnet`), or nil to pick a free one at first start.
    public var subnet: Subnet?
    /// The gateway (`--bip 10.89.0.1/24` names it); nil: the subnet's first address.
    public var gateway: UInt32?
    public init() {}

    /// Docker's `--bip`: the bridge's address with its prefix.
    public static func parseBIP(_ text: String) throws -> (Subnet, UInt32) {
        guard let s = Subnet(text), let addr = IPAddress.parseIPv4(String(text.split(separator: "/")[0])),
            addr != s.network, addr != s.broadcast, s.prefix <= 30
        else {
            throw BerthError.invalid("invalid --bip \(text): give the bridge's address and prefix, e.g. 10.89.0.1/24")
        }
        return (s, addr)
    }

    /// Linux interface names: 1–15 characters, no `/`, blanks or `:`.
    public static func validBridgeName(_ n: String) -> Bool {
        !n.isEmpty && n.utf8.count <= 15 && n.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "/" && $0 != ":" } && n != "." && n != ".."
    }
}

extension ContainerService {
    /// Makes sure the `bridge` row exists with the configured bridge and subnet. A subnet is
    /// picked once (avoiding the host's routes and berth's other networks) and then kept, so
    /// addresses stay stable across restarts; changed flags apply while no container holds an
    /// address on it.
    public func ensureDefaultNetwork(_ config: DefaultNetworkConfig) throws {
        defer { writeNetworkSnapshot() }
        try store.write { db in
            let others = try NetworkStore.list(db).filter { $0.name != Self.defaultNetwork }.compactMap { Subnet($0.subnet) }
            let existing = try NetworkStore.get(db, Self.defaultNetwork)
            func gateway(_ s: Subnet) -> String { IPAddress.format(config.gateway ?? s.firstHost ?? s.network) }
            if let n = existing {
                let wanted = config.subnet ?? Subnet(n.subnet)
                guard let wanted, n.bridge != config.bridge || n.subnet != wanted.description || n.gateway != gateway(wanted) else { return }
                guard try NetworkStore.attachmentCount(db, networkID: n.id) == 0 else {
                    logger.warning("the bridge network keeps \(n.bridge) \(n.subnet): containers hold addresses on it")
                    return
                }
                try NetworkStore.readdress(db, id: n.id, bridge: config.bridge, subnet: wanted.description, gateway: gateway(wanted))
                return
            }
            guard let subnet = config.subnet ?? HostRoutes.pick(HostRoutes.defaultCandidates(), avoiding: HostRoutes.current() + others) else {
                throw BerthError.invalid("no free subnet for the default bridge network: give one with --default-subnet")
            }
            try NetworkStore.insert(
                db,
                NetworkRecord(
                    id: Identifier.random(), name: Self.defaultNetwork, bridge: config.bridge, subnet: subnet.description,
                    gateway: gateway(subnet), createdAt: Clock.nowNanos()))
        }
    }
}

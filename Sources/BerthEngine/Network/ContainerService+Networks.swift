import BerthAPI
import BerthCore
import BerthNetwork
import BerthStore
import Foundation

/// User networks: `network create/rm/prune`. Containers on them resolve each other by name
/// through aardvark-dns, which netavark starts for DNS-enabled networks.
extension ContainerService {
    /// `network create`: the new network's id and a warning (empty when none).
    public func createNetwork(_ req: NetworkCreateRequest) async throws -> (id: String, warning: String) {
        try await worker.run { [self] in try createNetworkSync(req) }
    }

    func createNetworkSync(_ req: NetworkCreateRequest) throws -> (id: String, warning: String) {
        let name = req.Name
        try NetworkRules.checkName(name)
        guard ["none", "host"].contains(name) == false else { throw BerthError.invalid("\(name) is a pre-defined network and cannot be created") }
        if req.Ingress == true || ["swarm", "global"].contains(req.Scope ?? "") || req.ConfigOnly == true || req.ConfigFrom != nil {
            throw BerthError(
                .unavailable,
                "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
        }
        let (bridgeName, mtu) = try NetworkRules.driverOptions(req.Options ?? [:])
        let driver = req.Driver ?? "bridge"
        guard driver == "bridge" || driver.isEmpty else {
            throw BerthError.invalid("plugin \"\(driver)\" not found: berth has the bridge driver only")
        }
        let configs = req.IPAM?.Config ?? []
        let v6configs = configs.filter { ($0.Subnet ?? $0.Gateway ?? "").contains(":") }
        guard configs.count - v6configs.count <= 1, v6configs.count <= 1 else {
            throw BerthError.invalid("berth networks take one IPv4 and at most one IPv6 subnet")
        }
        let config = configs.first { !($0.Subnet ?? $0.Gateway ?? "").contains(":") }
        let v6 = try Self.ipv6Plan(enable: req.EnableIPv6 == true || !v6configs.isEmpty, config: v6configs.first)
        var subnet: Subnet?
        var warning: String?
        if let s = config?.Subnet {
            guard let parsed = Subnet(s), parsed.prefix <= 30, parsed.description == s else {
                throw BerthError.invalid("invalid subnet \(s): give an IPv4 network address with its prefix, e.g. 10.90.0.0/24")
            }
            subnet = parsed
            warning = try NetworkRules.checkSubnet(parsed, hostRoutes: HostRoutes.current())
        }
        var gateway: UInt32?
        if let g = config?.Gateway {
            guard let a = IPAddress.parseIPv4(g) else { throw BerthError.invalid("invalid gateway address \(g)") }
            guard subnet?.contains(a) ?? false else { throw BerthError.invalid("gateway \(g) is not in subnet \(subnet?.description ?? "(none)")") }
            gateway = a
        }
        let id = Identifier.random()
        let created = try store.write { db in
            if let existing = try NetworkStore.get(db, name) {
                throw BerthError.conflict("network with name \(name) already exists (\(Identifier.short(existing.id)))")
            }
            let existing = try NetworkStore.list(db)
            let taken = existing.compactMap { Subnet($0.subnet) }
            if let s = subnet, let clash = taken.first(where: { $0.overlaps(s) }) {
                throw BerthError.conflict("invalid pool request: Pool overlaps with other one on this address space (\(clash))")
            }
            let taken6 = existing.compactMap { $0.subnet6.flatMap(Subnet6.init) }
            var subnet6 = v6?.subnet
            if let s6 = subnet6, let clash = taken6.first(where: { $0.overlaps(s6) }) {
                throw BerthError.conflict("invalid pool request: Pool overlaps with other one on this address space (\(clash))")
            }
            if v6 != nil && subnet6 == nil {
                subnet6 = (0..<16).lazy.map { _ in Subnet6.randomULA() }.first { s in !taken6.contains { $0.overlaps(s) } }
            }
            let gateway6 = subnet6.map { IPAddress.formatIPv6(v6?.gateway ?? $0.firstHost) }
            guard let s = subnet ?? HostRoutes.pick(Self.userCandidates, avoiding: HostRoutes.current() + taken) else {
                throw BerthError.invalid("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
            }
            let gw = gateway ?? s.firstHost ?? s.network
            let range = try NetworkRules.ipamExtras(subnet: s, gateway: gw, range: config?.IPRange, aux: config?.AuxiliaryAddresses ?? [:])
            let bridge = bridgeName ?? "br-" + id.prefix(12)
            if let clash = existing.first(where: { $0.bridge == bridge }) {
                throw BerthError.conflict("bridge name \(bridge) is already used by network \(clash.name)")
            }
            // Not an interface the host has already (netavark would take it over).
            if bridgeName != nil && FileOps.exists("/sys/class/net/" + bridge) {
                throw BerthError.conflict("bridge name \(bridge) is an interface this host already has")
            }
            var record = NetworkRecord(
                id: id, name: name, bridge: bridge, subnet: s.description, gateway: IPAddress.format(gw),
                internal: req.Internal ?? false, dnsEnabled: true, labels: req.Labels ?? [:], createdAt: Clock.nowNanos(),
                subnet6: subnet6?.description, gateway6: gateway6)
            record.attachable = req.Attachable ?? false
            record.options = (req.Options ?? [:]).merging(mtu.map { ["com.docker.network.driver.mtu": String($0)] } ?? [:]) { a, _ in a }
            record.ipRange = range?.description
            record.auxAddresses = config?.AuxiliaryAddresses ?? [:]
            try NetworkStore.insert(db, record)
            return id
        }
        writeNetworkSnapshot()
        return (created, warning ?? "")
    }

    /// `--ipv6` with its subnet and gateway when given (checked), nil without IPv6.
    static func ipv6Plan(enable: Bool, config: NetworkResource.IPAMConfig?) throws -> (subnet: Subnet6?, gateway: UInt128?)? {
        guard enable else { return nil }
        var subnet: Subnet6?
        if let s = config?.Subnet {
            guard let p = Subnet6(s), IPAddress.parseIPv6(String(s.split(separator: "/")[0])) == p.network else {
                throw BerthError.invalid("invalid subnet \(s): give an IPv6 network address with its prefix (48 to 120), e.g. fd12:3456:789a:1::/64")
            }
            subnet = p
        }
        var gateway: UInt128?
        if let g = config?.Gateway {
            guard let a = IPAddress.parseIPv6(g) else { throw BerthError.invalid("invalid gateway address \(g)") }
            guard let subnet, subnet.contains(a) else { throw BerthError.invalid("gateway \(g) is not in subnet \(subnet?.description ?? "(none)")") }
            gateway = a
        }
        return (subnet, gateway)
    }

    /// User networks come from 10.90.0.0/24 on, after the default bridge's range.
    static let userCandidates: [Subnet] = (0..<4096).map { i in
        Subnet(network: 0x0A5A_0000 &+ UInt32(i) << 8, prefix: 24)
    }

    public func removeNetwork(_ ref: String) async throws {
        try await worker.run { [self] in
            let gone = try store.write { db in
                guard let n = try NetworkStore.resolve(db, ref) else { throw BerthError.notFound("network \(ref) not found") }
                if n.name == Self.defaultNetwork { throw BerthError.conflict("\(n.name) is a pre-defined network and cannot be removed") }
                let users = try NetworkStore.containerNames(db, networkID: n.id)
                if !users.isEmpty {
                    throw BerthError.conflict(
                        "error while removing network: network \(n.name) id \(n.id) has active endpoints (\(users.joined(separator: ", ")))")
                }
                try NetworkStore.delete(db, n)
                return n.id
            }
            releaseBridge(gone)
            writeNetworkSnapshot()
        }
    }

    /// Removes user networks no container is on; `labels` as prune's label filters.
    public func pruneNetworks(until: Int64?, labels: [(key: String, value: String?)]) async throws -> [String] {
        try await worker.run { [self] in
            let removed = try store.write { db in
                var removed: [NetworkRecord] = []
                for n in try NetworkStore.list(db) where n.name != Self.defaultNetwork {
                    if let until, n.createdAt >= until { continue }
                    if !labels.allSatisfy({ l in n.labels[l.key].map { l.value == nil || $0 == l.value } ?? false }) { continue }
                    guard try NetworkStore.attachmentCount(db, networkID: n.id) == 0 else { continue }
                    try NetworkStore.delete(db, n)
                    removed.append(n)
                }
                return removed
            }
            for n in removed { releaseBridge(n.id) }
            if !removed.isEmpty { writeNetworkSnapshot() }
            return removed.map(\.name)
        }
    }
}

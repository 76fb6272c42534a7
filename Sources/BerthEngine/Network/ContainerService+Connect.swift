import BerthAPI
import BerthCore
import BerthImage
import BerthNetwork
import BerthStore
import Foundation

/// `network connect` and `network disconnect`, also on running containers: netavark adds or
/// removes the one interface, and the input teardown will use is rewritten to match.
extension ContainerService {
    public func connect(network ref: String, container: String, aliases: [String], ip: String? = nil, mac: String? = nil) async throws {
        if let mac, !IPAddress.isMAC(mac) { throw BerthError.invalid("invalid MAC address: \(mac)") }
        try await worker.run { [self] in
            let (c, net) = try store.write { db -> (ContainerRecord, NetworkRecord) in
                let c = try ContainerQueries.resolve(db, container)
                guard let net = try NetworkStore.resolve(db, ref) else { throw BerthError.notFound("network \(ref) not found") }
                let mode = (try? JSONDecoder().decode(HostConfig.self, from: Data(c.hostConfigJSON.utf8)))?.NetworkMode ?? ""
                if mode == "host" || mode == "none" {
                    throw BerthError.invalid("container cannot be disconnected from host network or connected to host network")
                }
                if Self.joinedContainer(mode) != nil {
                    throw BerthError.invalid("container sharing network namespace with another container or host cannot be connected to any other network")
                }
                if try NetworkStore.attachments(db, containerID: c.id).contains(where: { $0.network.id == net.id }) {
                    throw BerthError.conflict("endpoint with name \(c.name) already exists in network \(net.name)")
                }
                if !aliases.isEmpty && net.name == Self.defaultNetwork {
                    throw BerthError.invalid("network-scoped aliases are supported only for containers in user defined networks")
                }
                if let ip {
                    guard net.name != Self.defaultNetwork else {
                        throw BerthError.invalid("user specified IP address is supported on user defined networks only")
                    }
                    try Self.checkFixedIP(ip, on: net)
                }
                try NetworkStore.attach(
                    db, containerID: c.id, networkID: net.id, ip: nil, aliases: aliases, requestedIP: ip, requestedMAC: mac?.lowercased())
                try NetworkStore.connected(db, containerID: c.id, network: net)
                return (c, net)
            }
            defer { writeSnapshot(c.id) }
            guard c.state == .running || c.state == .paused else { return }
            do {
                try addLive(c, net)
            } catch {
                try? store.write { db in try NetworkStore.detach(db, containerID: c.id, containerName: c.name, network: net) }
                throw error
            }
        }
    }

    public func disconnect(network ref: String, container: String, force: Bool) async throws {
        try await worker.run { [self] in
            let (c, net) = try store.read { db -> (ContainerRecord, NetworkRecord) in
                let c = try ContainerQueries.resolve(db, container)
                guard let net = try NetworkStore.resolve(db, ref) else { throw BerthError.notFound("network \(ref) not found") }
                guard try NetworkStore.attachments(db, containerID: c.id).contains(where: { $0.network.id == net.id }) else {
                    throw BerthError.invalid("container \(c.id) is not connected to network \(net.name)")
                }
                return (c, net)
            }
            if c.state == .running || c.state == .paused {
                do { try removeLive(c, net) } catch  where force {
                    logger.warning("disconnect of \(c.name) from \(net.name): \(BerthError.from(error).message)")
                }
            }
            try store.write { db in try NetworkStore.detach(db, containerID: c.id, containerName: c.name, network: net) }
            writeSnapshot(c.id)
            // Its `[::1]` ports follow its first network's address, which may have changed.
            if c.state == .running || c.state == .paused { restoreLoopbackProxies(c.id) }
        }
    }

    /// The saved setup input of a running container.
    func savedOptions(_ id: String) throws -> NetavarkOptions {
        guard let data = FileManager.default.contents(atPath: netnsOptionsPath(id)) else {
            throw BerthError.conflict("container \(id) has no network namespace of berth's")
        }
        return try JSONDecoder().decode(NetavarkOptions.self, from: data)
    }

    func addLive(_ c: ContainerRecord, _ net: NetworkRecord) throws {
        var saved = try savedOptions(c.id)
        guard let attached = try allocateIPs(c.id).first(where: { $0.network.id == net.id }), attached.ip != nil else {
            throw BerthError.internal("no address for \(c.name) on \(net.name)")
        }
        let used = Set(saved.networks.values.map(\.interface_name))
        let iface = (0...).lazy.map { "eth\($0)" }.first { !used.contains($0) }!
        let one = NetavarkOptions(
            container_id: c.id, container_name: c.name, port_mappings: nil,
            networks: [net.name: Self.perNetwork(c, attached, interface: iface)],
            network_info: [net.name: Self.netavarkNetwork(net)])
        let status = try netavark.setup(netns: netnsPath(c.id), options: one)
        saved.networks[net.name] = one.networks[net.name]
        saved.network_info[net.name] = one.network_info[net.name]
        try FileOps.writeAtomically(try JSONCoding.encode(saved), to: netnsOptionsPath(c.id), mode: 0o600, durable: false)
        try store.write { db in try NetworkStore.setMAC(db, containerID: c.id, networkID: net.id, mac: status[net.name]?.mac) }
        keepBridges([net])
    }

    func removeLive(_ c: ContainerRecord, _ net: NetworkRecord) throws {
        var saved = try savedOptions(c.id)
        guard let mine = saved.networks[net.name], let info = saved.network_info[net.name] else { return }
        let one = NetavarkOptions(
            container_id: c.id, container_name: c.name, port_mappings: nil,
            networks: [net.name: mine], network_info: [net.name: info])
        try netavark.teardown(netns: netnsPath(c.id), options: one)
        saved.networks[net.name] = nil
        saved.network_info[net.name] = nil
        try FileOps.writeAtomically(try JSONCoding.encode(saved), to: netnsOptionsPath(c.id), mode: 0o600, durable: false)
    }

    /// The container's side of one network: its address, and on DNS networks its name, short
    /// id and aliases.
    static func perNetwork(_ c: ContainerRecord, _ a: NetworkAttachment, interface: String) -> NetavarkOptions.PerNetwork {
        let names = [c.name, String(c.id.prefix(12))] + a.aliases
        return .init(
            static_ips: [a.ip ?? ""] + (a.ip6.map { [$0] } ?? []), aliases: a.network.dnsEnabled ? names : nil, interface_name: interface,
            static_mac: a.requestedMAC)
    }

    static func netavarkNetwork(_ n: NetworkRecord) -> NetavarkOptions.Network {
        var net = NetavarkOptions.Network(
            name: n.name, id: n.id, network_interface: n.bridge,
            subnets: [.init(subnet: n.subnet, gateway: n.gateway)] + (n.subnet6.map { [.init(subnet: $0, gateway: n.gateway6)] } ?? []),
            ipv6_enabled: n.subnet6 != nil, internal: n.internal, dns_enabled: n.dnsEnabled)
        if let mtu = n.options["com.docker.network.driver.mtu"] { net.options = ["mtu": mtu] }
        return net
    }
}

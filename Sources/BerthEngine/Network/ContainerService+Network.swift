import BerthAPI
import BerthCore
import BerthImage
import BerthNetwork
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// Docker's default network's name.
    public static let defaultNetwork = "bridge"

    /// The network a request joins: Docker's `default` and an empty mode are the bridge.
    static func networkMode(_ host: HostConfig) -> String {
        let m = host.NetworkMode ?? ""
        return m.isEmpty || m == "default" ? defaultNetwork : m
    }

    /// `container:REF`: the container whose network namespace this one joins.
    static func joinedContainer(_ mode: String) -> String? {
        mode.hasPrefix("container:") && mode.count > 10 ? String(mode.dropFirst(10)) : nil
    }

    /// Modes with no network of berth's own to attach to: none, host, another container's.
    static func ownsNoNetwork(_ mode: String) -> Bool {
        mode == "none" || mode == "host" || joinedContainer(mode) != nil
    }

    /// Where a container's namespace and netavark input live while it runs.
    func netnsPath(_ id: String) -> String { paths.runroot + "/netns/" + id }
    func netnsOptionsPath(_ id: String) -> String { paths.runroot + "/netns/" + id + ".json" }

    /// Create's part, inside its transaction: the container on its network, its port rows.
    func recordNetwork(
        _ tx: StoreTransaction, id: String, mode: String, ports: [PortRow], aliases: [String], fixed: (ip: String?, mac: String?)
    ) throws {
        guard !Self.ownsNoNetwork(mode) else { return }
        guard let net = try NetworkStore.get(tx, mode) else { throw BerthError.notFound("network \(mode) not found") }
        if let ip = fixed.ip { try Self.checkFixedIP(ip, on: net) }
        if net.subnet6 == nil, let p = ports.first(where: { $0.published && IPAddress.isIPv6($0.hostIP) && !viaProxy($0) }) {
            throw BerthError.invalid("publishing on IPv6 address \(p.hostIP): IPv6 is not enabled on network \(net.name) (network create --ipv6)")
        }
        try NetworkStore.attach(tx, containerID: id, networkID: net.id, ip: nil, aliases: aliases, requestedIP: fixed.ip, requestedMAC: fixed.mac)
        try NetworkStore.insertPorts(tx, containerID: id, ports)
    }

    /// A port published on the IPv6 loopback: the kernel forwards nothing from ::1 (IPv6 has no
    /// `route_localnet`), so berthd's userland proxy serves it, not netavark.
    static func proxied(_ p: PortRow) -> Bool { IPAddress.parseIPv6(p.hostIP) == 1 }

    /// Rootless: how containers' networks reach out and in (`berth info`); nil as root.
    public var rootlessNetworkSummary: String? {
        rootlessNetns.map {
            "bridges in berthd's own namespace; out through slirp4netns (\($0.slirpRunning ? "running" : "not running: no way out")); published ports by berthd's proxy"
        }
    }

    /// Rootless, every published port: netavark's rules live in the rootless namespace, so the
    /// host's addresses are served by berthd's proxy (as podman's rootlessport serves them).
    func viaProxy(_ p: PortRow) -> Bool { rootlessNetns != nil || Self.proxied(p) }

    /// A `--ip` must be a host address of the network's subnet other than its gateway.
    static func checkFixedIP(_ ip: String, on net: NetworkRecord) throws {
        guard let a = IPAddress.parseIPv4(ip), let subnet = Subnet(net.subnet) else { throw BerthError.invalid("invalid IPv4 address: \(ip)") }
        guard subnet.contains(a), a != subnet.network, a != subnet.broadcast else {
            throw BerthError.invalid("Invalid address \(ip): It does not belong to any of this network's subnets")
        }
        if ip == net.gateway { throw BerthError.invalid("Address already in use: \(ip) is the gateway of network \(net.name)") }
        if ip == BridgeKeeper.address(net.subnet) {
            throw BerthError.invalid("Address already in use: \(ip) is held by berth for the bridge of network \(net.name)")
        }
    }

    /// Start's addresses, in one transaction: the lowest free one of each network (the
    /// unique index on (network, ip) holds it against any other writer).
    func allocateIPs(_ id: String) throws -> [NetworkAttachment] {
        try store.write { db in
            var out: [NetworkAttachment] = []
            for var a in try NetworkStore.attachments(db, containerID: id) {
                if a.ip == nil, let want = a.requestedIP {
                    if try NetworkStore.holder(db, networkID: a.network.id, ip: want, excluding: id) != nil {
                        throw BerthError.conflict("failed to set up container networking: Address already in use: \(want) on network \(a.network.name)")
                    }
                    a.ip = want
                    try NetworkStore.setIP(db, containerID: id, networkID: a.network.id, ip: want)
                } else if a.ip == nil {
                    guard let subnet = Subnet(a.network.subnet) else {
                        throw BerthError.internal("network \(a.network.name) has no valid subnet: \(a.network.subnet)")
                    }
                    var used = Set(try NetworkStore.usedIPs(db, networkID: a.network.id).compactMap(IPAddress.parseIPv4))
                    if let kept = BridgeKeeper.address(a.network.subnet).flatMap(IPAddress.parseIPv4) { used.insert(kept) }
                    // Auxiliary addresses are never handed out; an ip_range narrows where from.
                    used.formUnion(a.network.auxAddresses.values.compactMap(IPAddress.parseIPv4))
                    let pool = a.network.ipRange.flatMap(Subnet.init) ?? subnet
                    guard let ip = pool.nextFree(used: used, gateway: IPAddress.parseIPv4(a.network.gateway), within: subnet) else {
                        throw BerthError.conflict("no available IPv4 addresses on network \(a.network.name)")
                    }
                    a.ip = IPAddress.format(ip)
                    try NetworkStore.setIP(db, containerID: id, networkID: a.network.id, ip: a.ip!)
                }
                if a.ip6 == nil, let s6 = a.network.subnet6.flatMap(Subnet6.init) {
                    var used = Set(try NetworkStore.usedIP6s(db, networkID: a.network.id).compactMap(IPAddress.parseIPv6))
                    used.insert(s6.lastHost)
                    guard let v = s6.nextFree(used: used, gateway: a.network.gateway6.flatMap(IPAddress.parseIPv6)) else {
                        throw BerthError.conflict("no available IPv6 addresses on network \(a.network.name)")
                    }
                    a.ip6 = IPAddress.formatIPv6(v)
                    try NetworkStore.setIP6(db, containerID: id, networkID: a.network.id, ip6: a.ip6!)
                }
                out.append(a)
            }
            return out
        }
    }

    /// Start's part: host ports chosen, the namespace made and netavark run. Returns the
    /// namespace for the OCI spec and the address for /etc/hosts; nil when the container has
    /// no network of berth's (none, host, or created before berth had networks).
    func setupNetwork(
        _ c: ContainerRecord
    ) throws -> (netns: String, ip: String, ip6: String?, gateway: String, dns: String?, pending: PendingNetworkSetup)? {
        let known = try store.read { db in try NetworkStore.attachments(db, containerID: c.id) }
        guard !known.isEmpty else { return nil }
        teardownNetwork(c.id)
        let attachments = try allocateIPs(c.id)
        let ports = try store.read { db in try NetworkStore.ports(db, containerID: c.id) }
        guard let first = attachments.first, let firstIP = first.ip else { return nil }
        let chosen = try chooseHostPorts(c, ports)
        try store.write { db in try NetworkStore.setHostPorts(db, chosen) }
        var mappings: [NetavarkOptions.PortMapping] = []
        var proxied: [LoopbackProxies.Port] = []
        for (rowID, p) in ports where p.published {
            guard let hp = p.hostPort ?? chosen.first(where: { $0.rowID == rowID })?.hostPort else { continue }
            if viaProxy(p) {
                proxied.append((p.hostIP, hp, p.containerPort, p.proto))
            } else {
                mappings.append(Self.mapping(p, hostPort: hp))
            }
        }
        let options = Self.netavarkOptions(c, attachments, mappings: mappings)
        let loopbackPorts = proxied
        let ns = netnsPath(c.id)
        try FileOps.makeDirs(paths.runroot + "/netns", mode: 0o700)
        // Written first: whatever happens next, teardown knows what to undo.
        try FileOps.writeAtomically(try JSONCoding.encode(options), to: netnsOptionsPath(c.id), mode: 0o600, durable: false)
        do { try NetNS.create(at: ns) } catch {
            teardownNetwork(c.id)
            throw error
        }
        // netavark (~40–150 ms of iptables) runs while the start writes the bundle and runc
        // creates the container in the namespace; joined before the process runs.
        let pending = PendingNetworkSetup { [self] in
            do {
                let status = try netavark.setup(netns: ns, options: options)
                try loopbackProxies.start(c.id, loopbackPorts, targetIP: firstIP)
                try store.write { db in
                    for a in attachments { try NetworkStore.setMAC(db, containerID: c.id, networkID: a.network.id, mac: status[a.network.name]?.mac) }
                }
            } catch {
                teardownNetwork(c.id)
                throw error
            }
            keepBridges(attachments.map(\.network))
        }
        // aardvark-dns answers on the gateway of DNS-enabled (user) networks.
        return (ns, firstIP, first.ip6, first.network.gateway, attachments.first(where: \.network.dnsEnabled)?.network.gateway, pending)
    }

    /// A netavark setup running beside the rest of a start.
    // @unchecked: `result` is written once before `done` is signalled and read only after it.
    final class PendingNetworkSetup: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<Void, any Error> = .success(())

        init(_ work: @escaping @Sendable () throws -> Void) {
            Thread.detachNewThread { [self] in
                do { try work() } catch { result = .failure(error) }
                done.signal()
            }
        }

        /// Waits until the setup is done (again and again); throws its error.
        func wait() throws {
            done.wait()
            done.signal()
            try result.get()
        }
    }

    /// Host ports for the published rows that have none fixed, and a check that fixed ones are
    /// free: against berth's running containers (SQLite) and the host (a trial bind).
    func chooseHostPorts(_ c: ContainerRecord, _ ports: [(rowID: Int64, port: PortRow)]) throws -> [(rowID: Int64, hostPort: Int)] {
        // One choice at a time, seeing what other starts under way reserved: the database
        // counts a container's ports as held only once it runs.
        try worker.ports.choose(c.id) { reserved in try chooseHostPorts(c, ports, reserved: reserved) }
    }

    private func chooseHostPorts(
        _ c: ContainerRecord, _ ports: [(rowID: Int64, port: PortRow)], reserved: [PortReservations.Port]
    ) throws -> ([(rowID: Int64, hostPort: Int)], [PortReservations.Port]) {
        var chosen: [(rowID: Int64, hostPort: Int)] = []
        var taken = Set<String>()
        var mine: [PortReservations.Port] = []
        let held = try store.read { db in try NetworkStore.heldPorts(db, excluding: c.id) } + reserved
        func free(_ p: PortRow, _ port: Int) -> Bool {
            let key = "\(p.hostIP)|\(port)|\(p.proto)"
            guard !taken.contains(key) else { return false }
            // Another container's binding collides when the addresses overlap ("" is all of them).
            let collides = held.contains { $0.port == port && $0.proto == p.proto && ($0.hostIP.isEmpty || p.hostIP.isEmpty || $0.hostIP == p.hostIP) }
            return !collides && PortProbe.isFree(ip: p.hostIP, port: port, proto: p.proto)
        }
        func refuse(_ p: PortRow, _ port: Int) -> BerthError {
            BerthError.conflict(
                "driver failed programming external connectivity on endpoint \(c.name): Bind for \(p.hostIP.isEmpty ? "0.0.0.0" : p.hostIP.contains(":") ? "[\(p.hostIP)]" : p.hostIP):\(port) failed: port is already allocated"
            )
        }
        for (rowID, p) in ports where p.published {
            if p.isFixed, let hp = p.requestedHostPort {
                guard free(p, hp) else { throw refuse(p, hp) }
                taken.insert("\(p.hostIP)|\(hp)|\(p.proto)")
                mine.append((p.hostIP, hp, p.proto))
                continue
            }
            let range: ClosedRange<Int>
            if let lo = p.requestedHostPort, let hi = p.requestedRangeEnd { range = lo...hi } else { range = PortProbe.ephemeralRange() }
            // From a random point, so restarts and neighbours do not all probe the same ports.
            let offset = Int.random(in: 0..<range.count)
            var picked: Int?
            for i in 0..<min(range.count, 4096) {
                let port = range.lowerBound + (offset + i) % range.count
                if free(p, port) { picked = port; break }
            }
            guard let port = picked else { throw refuse(p, range.lowerBound) }
            taken.insert("\(p.hostIP)|\(port)|\(p.proto)")
            mine.append((p.hostIP, port, p.proto))
            chosen.append((rowID, port))
        }
        return (chosen, mine)
    }

    /// Undoes setup: netavark teardown from the input setup was given, the namespace removed.
    /// Safe to call for a container that has none of it (files only: the addresses and chosen
    /// ports go back in the transaction that records the exit or the failed start).
    func teardownNetwork(_ id: String) {
        loopbackProxies.stop(id)
        let json = netnsOptionsPath(id), ns = netnsPath(id)
        let options = FileManager.default.contents(atPath: json).flatMap { try? JSONDecoder().decode(NetavarkOptions.self, from: $0) }
        if options != nil && !NetNS.isNamespace(ns) {
            // The namespace went without its rules (a reboot that kept iptables, a runroot
            // emptied): netavark needs one to enter, and an empty one does — the veth went with
            // the old one; the rules are what is left to remove.
            NetNS.remove(at: ns)
            try? NetNS.create(at: ns)
        }
        if let options {
            do { try netavark.teardown(netns: ns, options: options) } catch {
                logger.warning("network teardown of \(id): \(BerthError.from(error).message)")
            }
        }
        NetNS.remove(at: ns)
        unlink(json)
    }

    /// Before an exit gives the addresses back: when the run's saved input is gone (a runroot
    /// emptied by a reboot), it is written again from the rows, for the teardown that follows.
    func keepNetworkInput(_ id: String) {
        guard !FileOps.exists(netnsOptionsPath(id)), let options = optionsFromRows(id) else { return }
        try? FileOps.makeDirs(paths.runroot + "/netns", mode: 0o700)
        try? FileOps.writeAtomically(try JSONCoding.encode(options), to: netnsOptionsPath(id), mode: 0o600, durable: false)
    }

    /// netavark's input for the run a container's rows say holds addresses, or nil.
    func optionsFromRows(_ id: String) -> NetavarkOptions? {
        guard id.count == 64,
            let (c, attachments, ports) = try? store.read({ db in
                (try ContainerQueries.get(db, id: id), try NetworkStore.attachments(db, containerID: id), try NetworkStore.ports(db, containerID: id))
            }),
            let c
        else { return nil }
        let held = attachments.filter { $0.ip != nil }
        guard !held.isEmpty else { return nil }
        let mappings = ports.compactMap { _, p in p.published && !Self.proxied(p) ? p.hostPort.map { Self.mapping(p, hostPort: $0) } : nil }
        return Self.netavarkOptions(c, held, mappings: mappings)
    }

    /// netavark's input for a run: each attachment as `ethN`, in order, and the port mappings.
    static func netavarkOptions(
        _ c: ContainerRecord, _ attachments: [NetworkAttachment], mappings: [NetavarkOptions.PortMapping]
    ) -> NetavarkOptions {
        var networks: [String: NetavarkOptions.PerNetwork] = [:]
        var info: [String: NetavarkOptions.Network] = [:]
        for (i, a) in attachments.enumerated() {
            networks[a.network.name] = perNetwork(c, a, interface: "eth\(i)")
            info[a.network.name] = netavarkNetwork(a.network)
        }
        return NetavarkOptions(
            container_id: c.id, container_name: c.name, port_mappings: mappings.isEmpty ? nil : mappings, networks: networks, network_info: info)
    }

    static func mapping(_ p: PortRow, hostPort: Int) -> NetavarkOptions.PortMapping {
        .init(host_ip: p.hostIP, container_port: UInt16(p.containerPort), host_port: UInt16(hostPort), range: 1, protocol: p.proto)
    }

    /// Re-adoption after a berthd restart: the userland proxies of a running container again.
    func restoreLoopbackProxies(_ id: String) {
        guard
            let (attachments, ports) = try? store.read({ db in
                (try NetworkStore.attachments(db, containerID: id), try NetworkStore.ports(db, containerID: id))
            }),
            let ip = attachments.first?.ip
        else { return }
        let proxied = ports.compactMap { _, p in p.published && viaProxy(p) ? p.hostPort.map { (p.hostIP, $0, p.containerPort, p.proto) } : nil }
        do { try loopbackProxies.start(id, proxied, targetIP: ip) } catch {
            logger.warning("userland proxy of \(id): \(BerthError.from(error).message)")
        }
    }

    /// At start-up: namespaces and rules of containers that no longer run (an exit berthd did
    /// not see, a kill -9 mid-start, a reboot with the runroot kept).
    func sweepNetworks(live: Set<String>) {
        let dir = paths.runroot + "/netns"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names {
            let id = n.hasSuffix(".json") ? String(n.dropLast(5)) : n
            if !live.contains(id) { teardownNetwork(id) }
        }
    }
}

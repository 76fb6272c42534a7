import BerthAPI
import BerthCore
import Foundation

extension ContainerInspect {
    /// Inspect for `ref` as berthd and the CLI answer it: the row, its mounts, networks and ports.
    public static func read(_ tx: StoreTransaction, _ ref: String, containersDir: String) throws -> ContainerInspect {
        let c = try ContainerQueries.resolve(tx, ref)
        var i = ContainerInspect(c, mounts: try ContainerQueries.mounts(tx, id: c.id), containerDir: containersDir + "/" + c.id)
        i.NetworkSettings = BerthAPI.NetworkSettings(
            c, networks: try NetworkStore.attachments(tx, containerID: c.id),
            ports: try NetworkStore.ports(tx, containerID: c.id).map(\.port))
        return i
    }
}

extension NetworkSettings {
    /// Addresses while the container has them (Docker clears them when it stops), ports as
    /// Docker shows them: exposed ones null, published ones with the host side in use.
    public init(_ c: ContainerRecord, networks: [NetworkAttachment], ports: [PortRow]) {
        self.init()
        let running = c.state == .running || c.state == .paused
        for p in ports {
            let key = "\(p.containerPort)/\(p.proto)"
            guard p.published, running, let hp = p.hostPort else {
                if Ports[key] == nil { Ports[key] = .some(nil) }
                continue
            }
            let binding = PortBinding(HostIp: p.hostIP.isEmpty ? "0.0.0.0" : p.hostIP, HostPort: String(hp))
            Ports[key] = .some(((Ports[key] ?? nil) ?? []) + [binding])
        }
        for (i, a) in networks.enumerated() {
            var e = EndpointSettings()
            e.NetworkID = a.network.id
            e.Aliases = a.aliases.isEmpty ? nil : a.aliases
            if running {
                e.IPAddress = a.ip ?? ""
                e.Gateway = a.network.gateway
                e.IPPrefixLen = Self.prefixLength(a.network.subnet)
                e.MacAddress = a.mac ?? ""
                if let ip6 = a.ip6 {
                    e.GlobalIPv6Address = ip6
                    e.GlobalIPv6PrefixLen = Self.prefixLength(a.network.subnet6 ?? "")
                    e.IPv6Gateway = a.network.gateway6 ?? ""
                }
                e.EndpointID = String(c.id.prefix(12)) + "-" + String(a.network.id.prefix(12))
            }
            Networks[a.network.name] = e
            if i == 0 && a.network.name == "bridge" {
                Bridge = ""
                IPAddress = e.IPAddress
                Gateway = e.Gateway
                IPPrefixLen = e.IPPrefixLen
                MacAddress = e.MacAddress
            }
        }
    }

    /// `10.89.0.0/24` → 24.
    static func prefixLength(_ cidr: String) -> Int { cidr.split(separator: "/").last.flatMap { Int($0) } ?? 0 }
}

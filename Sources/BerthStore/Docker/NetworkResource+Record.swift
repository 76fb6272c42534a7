import BerthAPI
import BerthCore
import Foundation

extension NetworkResource {
    /// Docker's network resource for a row and its running endpoints.
    public init(_ n: NetworkRecord, endpoints: [(id: String, name: String, ip: String, mac: String?, ip6: String?)]) {
        var containers: [String: Endpoint] = [:]
        let prefix = n.subnet.split(separator: "/").last.map(String.init) ?? "24"
        for e in endpoints {
            containers[e.id] = Endpoint(
                Name: e.name, EndpointID: String(e.id.prefix(12)) + "-" + String(n.id.prefix(12)),
                MacAddress: e.mac ?? "", IPv4Address: e.ip + "/" + prefix,
                IPv6Address: e.ip6.map { $0 + "/" + (n.subnet6?.split(separator: "/").last.map(String.init) ?? "64") } ?? "")
        }
        var options = n.options
        if n.name == "bridge" { options["com.docker.network.bridge.name"] = n.bridge }
        let v4 = NetworkResource.IPAMConfig(
            Subnet: n.subnet, Gateway: n.gateway, IPRange: n.ipRange, AuxiliaryAddresses: n.auxAddresses.isEmpty ? nil : n.auxAddresses)
        self.init(
            Name: n.name, Id: n.id, Created: Clock.rfc3339Nano(n.createdAt), Driver: n.driver,
            IPAM: .init(Config: [v4] + (n.subnet6.map { [.init(Subnet: $0, Gateway: n.gateway6)] } ?? [])),
            Internal: n.internal, Containers: containers, Options: options, Labels: n.labels)
        EnableIPv6 = n.subnet6 != nil
        Attachable = n.attachable
    }

    /// GET /networks/{id}: by name, id or unique id prefix.
    public static func read(_ tx: StoreTransaction, _ ref: String) throws -> NetworkResource {
        guard let n = try NetworkStore.resolve(tx, ref) else { throw BerthError.notFound("network \(ref) not found") }
        return NetworkResource(n, endpoints: try NetworkStore.endpoints(tx, networkID: n.id))
    }
}

extension NetworkStore {
    /// Docker's order: exact name, exact id, then a unique id prefix.
    public static func resolve(_ tx: StoreTransaction, _ ref: String) throws -> NetworkRecord? {
        if let n = try get(tx, ref) { return n }
        guard !ref.isEmpty, Identifier.isHex(ref) else { return nil }
        let matches = try list(tx).filter { $0.id.hasPrefix(ref) }
        if matches.count > 1 { throw BerthError.invalid("network \(ref) is ambiguous (\(matches.count) matches found based on ID prefix)") }
        return matches.first
    }
}

/// netavark's input for `setup`/`teardown` (its `NetworkOptions`), generated from berth's rows:
/// netavark is told what exists, it is never asked.
public struct NetavarkOptions: Codable, Sendable, Equatable {
    public var container_id: String
    public var container_name: String
    public var port_mappings: [PortMapping]?
    public var networks: [String: PerNetwork]
    public var network_info: [String: Network]
    public var dns_servers: [String]?

    public init(
        container_id: String, container_name: String, port_mappings: [PortMapping]?, networks: [String: PerNetwork],
        network_info: [String: Network], dns_servers: [String]? = nil
    ) {
        self.container_id = container_id
        self.container_name = container_name
        self.port_mappings = port_mappings
        self.networks = networks
        self.network_info = network_info
        self.dns_servers = dns_servers
    }

    /// One published range: `range` consecutive ports from `host_port`/`container_port`.
    public struct PortMapping: Codable, Sendable, Equatable {
        public var host_ip: String
        public var container_port: UInt16
        public var host_port: UInt16
        public var range: UInt16
        public var `protocol`: String
        public init(host_ip: String, container_port: UInt16, host_port: UInt16, range: UInt16, protocol: String) {
            self.host_ip = host_ip
            self.container_port = container_port
            self.host_port = host_port
            self.range = range
            self.protocol = `protocol`
        }
    }

    /// The container's side of one network: its address, DNS names and interface.
    public struct PerNetwork: Codable, Sendable, Equatable {
        public var static_ips: [String]
        public var aliases: [String]?
        public var interface_name: String
        public var static_mac: String?
        public init(static_ips: [String], aliases: [String]?, interface_name: String, static_mac: String? = nil) {
            self.static_ips = static_ips
            self.aliases = aliases
            self.interface_name = interface_name
            self.static_mac = static_mac
        }
    }

    /// A network as netavark needs it (podman's `types.Network`).
    public struct Network: Codable, Sendable, Equatable {
        public struct SubnetInfo: Codable, Sendable, Equatable {
            public var subnet: String
            public var gateway: String?
            public init(subnet: String, gateway: String?) { self.subnet = subnet; self.gateway = gateway }
        }
        public var name: String
        public var id: String
        public var driver: String
        public var network_interface: String
        public var subnets: [SubnetInfo]
        public var ipv6_enabled: Bool
        public var `internal`: Bool
        public var dns_enabled: Bool
        public var ipam_options: [String: String]?
        /// netavark's bridge options (`mtu`).
        public var options: [String: String]?
        public init(
            name: String, id: String, driver: String = "bridge", network_interface: String, subnets: [SubnetInfo],
            ipv6_enabled: Bool = false, internal: Bool = false, dns_enabled: Bool = false
        ) {
            self.name = name
            self.id = id
            self.driver = driver
            self.network_interface = network_interface
            self.subnets = subnets
            self.ipv6_enabled = ipv6_enabled
            self.`internal` = `internal`
            self.dns_enabled = dns_enabled
            self.ipam_options = ["driver": "host-local"]
        }
    }
}

extension PortSpec {
    /// netavark's mapping once host ports are chosen (`hostStart` for the whole range).
    public func mapping(hostStart: UInt16) -> NetavarkOptions.PortMapping {
        NetavarkOptions.PortMapping(
            host_ip: hostIP, container_port: containerPorts.lowerBound, host_port: hostStart,
            range: UInt16(containerPorts.count), protocol: proto.rawValue)
    }
}

/// Docker's network resource (GET /networks, /networks/{id}).
public struct NetworkResource: Codable, Sendable, Equatable {
    public struct IPAMConfig: Codable, Sendable, Equatable {
        public var Subnet: String?
        public var Gateway: String?
        public var IPRange: String?
        public var AuxiliaryAddresses: [String: String]?
        public init(Subnet: String?, Gateway: String?, IPRange: String? = nil, AuxiliaryAddresses: [String: String]? = nil) {
            self.Subnet = Subnet; self.Gateway = Gateway; self.IPRange = IPRange; self.AuxiliaryAddresses = AuxiliaryAddresses
        }
    }
    public struct IPAM: Codable, Sendable, Equatable {
        public var Driver: String?
        public var Options: [String: String]?
        public var Config: [IPAMConfig]?
        public init(Driver: String? = "default", Options: [String: String]? = nil, Config: [IPAMConfig]?) {
            self.Driver = Driver; self.Options = Options; self.Config = Config
        }
    }
    /// A container on the network (`Containers` in inspect).
    public struct Endpoint: Codable, Sendable, Equatable {
        public var Name: String
        public var EndpointID: String
        public var MacAddress: String
        public var IPv4Address: String
        public var IPv6Address: String
        public init(Name: String, EndpointID: String, MacAddress: String, IPv4Address: String, IPv6Address: String = "") {
            self.Name = Name; self.EndpointID = EndpointID; self.MacAddress = MacAddress
            self.IPv4Address = IPv4Address; self.IPv6Address = IPv6Address
        }
    }
    public var Name: String
    public var Id: String
    public var Created: String
    public var Scope: String = "local"
    public var Driver: String
    public var EnableIPv6: Bool = false
    public var IPAM: IPAM
    public var Internal: Bool
    public var Attachable: Bool = false
    public var Ingress: Bool = false
    public var ConfigOnly: Bool = false
    public var Containers: [String: Endpoint]
    public var Options: [String: String]
    public var Labels: [String: String]

    public init(
        Name: String, Id: String, Created: String, Driver: String, IPAM: IPAM, Internal: Bool,
        Containers: [String: Endpoint], Options: [String: String], Labels: [String: String]
    ) {
        self.Name = Name; self.Id = Id; self.Created = Created; self.Driver = Driver; self.IPAM = IPAM
        self.Internal = Internal; self.Containers = Containers; self.Options = Options; self.Labels = Labels
    }
}

/// POST /networks/create's body (the parts berth honours).
public struct NetworkCreateRequest: Codable, Sendable {
    public var Name: String
    public var Driver: String?
    public var Internal: Bool?
    public var IPAM: NetworkResource.IPAM?
    public var Labels: [String: String]?
    public var Options: [String: String]?
    public var CheckDuplicate: Bool?
    public var EnableIPv6: Bool?
    public var Attachable: Bool?
    public var Ingress: Bool?
    public var Scope: String?
    public var ConfigOnly: Bool?
    public var ConfigFrom: [String: String]?
    public init(Name: String) { self.Name = Name }
}

/// POST /networks/create's answer.
public struct NetworkCreateResponse: Codable, Sendable, Equatable {
    public var Id: String
    public var Warning: String
    public init(Id: String, Warning: String = "") { self.Id = Id; self.Warning = Warning }
}

/// POST /networks/prune's answer.
public struct NetworkPruneReport: Codable, Sendable, Equatable {
    public var NetworksDeleted: [String]?
    public init(NetworksDeleted: [String]?) { self.NetworksDeleted = NetworksDeleted }
}

/// POST /networks/{id}/connect's body.
public struct NetworkConnectRequest: Codable, Sendable {
    public var Container: String
    public var EndpointConfig: NetworkingConfig.EndpointConfig?
    public init(Container: String, EndpointConfig: NetworkingConfig.EndpointConfig?) {
        self.Container = Container; self.EndpointConfig = EndpointConfig
    }
}

/// POST /networks/{id}/disconnect's body.
public struct NetworkDisconnectRequest: Codable, Sendable {
    public var Container: String
    public var Force: Bool?
    public init(Container: String, Force: Bool?) { self.Container = Container; self.Force = Force }
}

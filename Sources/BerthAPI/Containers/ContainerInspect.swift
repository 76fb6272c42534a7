import BerthCore
import Foundation

/// Docker's zero time, for times that never happened.
public let zeroTime = "0001-01-01T00:00:00Z"

public func dockerTime(_ ns: Int64?) -> String { ns.map { Clock.rfc3339Nano($0) } ?? zeroTime }

/// GET /containers/{id}/json (the fields berth fills).
public struct ContainerInspect: Codable, Sendable {
    public struct State: Codable, Sendable {
        public var Status: String = ""
        public var Running: Bool = false
        public var Paused: Bool = false
        public var Restarting: Bool = false
        public var OOMKilled: Bool = false
        public var Dead: Bool = false
        public var Pid: Int64 = 0
        public var ExitCode: Int64 = 0
        public var Error: String = ""
        public var StartedAt: String = ""
        public var FinishedAt: String = ""
        /// Only for containers with a health check.
        public var Health: JSONValue?
        public init() {}
    }
    public struct MountPoint: Codable, Sendable {
        public var `Type`: String = ""
        public var Name: String?
        public var Source: String = ""
        public var Destination: String = ""
        public var Mode: String = ""
        public var RW: Bool = false
        public var Propagation: String = ""
        public init() {}
    }
    public var Id: String = ""
    public var Created: String = ""
    public var Path: String = ""
    public var Args: [String] = []
    public var State: State = .init()
    public var Image: String = ""
    public var ResolvConfPath: String = ""
    public var HostnamePath: String = ""
    public var HostsPath: String = ""
    public var LogPath: String = ""
    public var Name: String = ""
    public var RestartCount: Int64 = 0
    public var Driver: String = ""
    public var Platform: String = ""
    public var HostConfig: JSONValue = .null
    public var Config: JSONValue = .null
    public var Mounts: [MountPoint] = []
    public var NetworkSettings: NetworkSettings = .init()
    public init() {}

}

/// Inspect's `NetworkSettings`: the addresses and ports a container holds.
public struct NetworkSettings: Codable, Sendable, Equatable {
    /// One network's endpoint (`Networks.bridge`).
    public struct EndpointSettings: Codable, Sendable, Equatable {
        public var NetworkID: String = ""
        public var EndpointID: String = ""
        public var Gateway: String = ""
        public var IPAddress: String = ""
        public var IPPrefixLen: Int = 0
        public var MacAddress: String = ""
        public var Aliases: [String]?
        public var IPv6Gateway: String = ""
        public var GlobalIPv6Address: String = ""
        public var GlobalIPv6PrefixLen: Int = 0
        public init() {}
    }
    public var Bridge: String = ""
    public var SandboxID: String = ""
    public var SandboxKey: String = ""
    /// Exposed ports map to nil, published ones to their host bindings.
    public var Ports: [String: [PortBinding]?] = [:]
    public var Gateway: String = ""
    public var IPAddress: String = ""
    public var IPPrefixLen: Int = 0
    public var MacAddress: String = ""
    public var Networks: [String: EndpointSettings] = [:]
    public init() {}

    enum CodingKeys: String, CodingKey {
        case Bridge, SandboxID, SandboxKey, Ports, Gateway, IPAddress, IPPrefixLen, MacAddress, Networks
    }

    /// `Ports` keeps its nulls (an exposed port is `"80/tcp": null`), as Docker writes it.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Bridge, forKey: .Bridge)
        try c.encode(SandboxID, forKey: .SandboxID)
        try c.encode(SandboxKey, forKey: .SandboxKey)
        var ports = c.nestedContainer(keyedBy: DynamicKey.self, forKey: .Ports)
        for (k, v) in Ports {
            if let v { try ports.encode(v, forKey: DynamicKey(k)) } else { try ports.encodeNil(forKey: DynamicKey(k)) }
        }
        try c.encode(Gateway, forKey: .Gateway)
        try c.encode(IPAddress, forKey: .IPAddress)
        try c.encode(IPPrefixLen, forKey: .IPPrefixLen)
        try c.encode(MacAddress, forKey: .MacAddress)
        try c.encode(Networks, forKey: .Networks)
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

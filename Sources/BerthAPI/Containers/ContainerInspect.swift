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
    public init() {}

}

import BerthCore
import Foundation

/// GET /containers/json item.
public struct ContainerSummary: Codable, Sendable {
    public var Id: String = ""
    public var Names: [String] = []
    public var Image: String = ""
    public var ImageID: String = ""
    public var Command: String = ""
    public var Created: Int64 = 0
    public var State: String = ""
    public var Status: String = ""
    public var Labels: [String: String] = [:]
    public var Ports: [Port]? = []
    public var HostConfig: SummaryHostConfig? = .init()
    public var NetworkSettings: SummaryNetworkSettings? = .init()
    /// The writable layer's size and the whole filesystem's (`size=1`, system df).
    public var Mounts: [ContainerInspect.MountPoint]?
    public var SizeRw: Int64?
    public var SizeRootFs: Int64?
    public init() {}

    /// One port of the list (`docker ps` PORTS): published ones with their host side.
    public struct Port: Codable, Sendable, Equatable {
        public var IP: String?
        public var PrivatePort: Int
        public var PublicPort: Int?
        public var `Type`: String
        public init(IP: String?, PrivatePort: Int, PublicPort: Int?, Type: String) {
            self.IP = IP; self.PrivatePort = PrivatePort; self.PublicPort = PublicPort; self.Type = Type
        }
    }

    public struct SummaryHostConfig: Codable, Sendable, Equatable {
        public var NetworkMode: String = ""
        public init() {}
    }

    public struct SummaryNetworkSettings: Codable, Sendable, Equatable {
        public var Networks: [String: NetworkSettings.EndpointSettings] = [:]
        public init() {}
    }

    /// Docker's STATUS column for a state given as text (unknown states read as `Created`).
    public static func status(
        state: String, exitCode: Int64?, startedAt: Int64?, finishedAt: Int64?,
        health: String?, now: Int64
    ) -> String {
        ContainerState(stored: state).status(
            exitCode: exitCode, startedAt: startedAt,
            finishedAt: finishedAt, health: health, now: now)
    }
}

import BerthCore
import Foundation

/// The API version berthd speaks.
public enum APIVersion {
    public static let current = "1.45"
    public static let minimum = "1.24"
    public static let serverVersion = "0.1.0"
}

/// GET /version.
public struct VersionInfo: Codable, Sendable {
    public struct Component: Codable, Sendable { public var Name: String; public var Version: String }
    public struct PlatformInfo: Codable, Sendable { public var Name: String }
    public var Platform: PlatformInfo
    public var Components: [Component]
    public var Version: String
    public var ApiVersion: String
    public var MinAPIVersion: String
    public var GitCommit: String
    public var GoVersion: String
    public var Os: String
    public var Arch: String
    public var KernelVersion: String
    public var BuildTime: String
}

extension VersionInfo {
    /// /version for this berthd.
    public static func server() -> VersionInfo {
        let v = APIVersion.serverVersion
        return VersionInfo(
            Platform: .init(Name: "berth"),
            Components: [.init(Name: "Engine", Version: v)],
            Version: v, ApiVersion: APIVersion.current, MinAPIVersion: APIVersion.minimum,
            GitCommit: "", GoVersion: "", Os: "linux", Arch: HostFacts.goArch,
            KernelVersion: HostFacts.kernelVersion, BuildTime: "")
    }
}

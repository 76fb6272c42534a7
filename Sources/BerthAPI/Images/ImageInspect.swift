import BerthCore
import Foundation

/// GET /images/{name}/json (Docker's ImageInspect, the fields berth has).
public struct ImageInspect: Codable, Sendable {
    public struct RootFSInfo: Codable, Sendable { public var `Type`: String = ""; public var Layers: [String] = []; public init() {} }
    public struct GraphDriver: Codable, Sendable { public var Name: String = ""; public var Data: [String: String] = [:]; public init() {} }
    public struct Metadata: Codable, Sendable { public var LastTagTime: String?; public init() {} }
    public var Id: String = ""
    public var RepoTags: [String] = []
    public var RepoDigests: [String] = []
    public var Parent: String = ""
    public var Comment: String = ""
    public var Created: String = ""
    public var DockerVersion: String = ""
    public var Author: String = ""
    public var Config: JSONValue?
    public var Architecture: String = ""
    public var Variant: String?
    public var Os: String = ""
    public var Size: Int64 = 0
    public var VirtualSize: Int64 = 0
    public var GraphDriver: GraphDriver = .init()
    public var RootFS: RootFSInfo = .init()
    public var Metadata: Metadata = .init()
    public init() {}
}

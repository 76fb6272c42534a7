import BerthCore
import Foundation

/// GET /images/json item (Docker's ImageSummary).
public struct ImageSummary: Codable, Sendable {
    public var Id: String = ""
    public var ParentId: String = ""
    public var RepoTags: [String] = []
    public var RepoDigests: [String] = []
    public var Created: Int64 = 0
    public var Size: Int64 = 0
    public var SharedSize: Int64 = 0
    public var VirtualSize: Int64 = 0
    public var Labels: [String: String] = [:]
    public var Containers: Int = 0
    public init() {}
}

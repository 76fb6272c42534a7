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
    public init() {}

    /// Docker's STATUS column for a state given as text (unknown states read as `Created`).
    public static func status(
        state: String, exitCode: Int64?, startedAt: Int64?, finishedAt: Int64?,
        health: String?, now: Int64
    ) -> String {
        (ContainerState(rawValue: state) ?? .created).status(
            exitCode: exitCode, startedAt: startedAt,
            finishedAt: finishedAt, health: health, now: now)
    }
}

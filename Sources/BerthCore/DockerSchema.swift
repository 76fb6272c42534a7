// JSON shapes Docker uses both in image configs and in the Engine API (one Go type each in
// moby), so the image and API modules share one definition.

/// An empty JSON object, the value type of ExposedPorts and Volumes.
public struct EmptyObject: Codable, Sendable, Equatable {
    public init() {}
}

/// Docker's health check: Test `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`; times in ns.
public struct HealthConfig: Codable, Sendable, Equatable {
    public var Test: [String]?
    public var Interval: Int64?
    public var Timeout: Int64?
    public var StartPeriod: Int64?
    public var StartInterval: Int64?
    public var Retries: Int?
    public init() {}
}

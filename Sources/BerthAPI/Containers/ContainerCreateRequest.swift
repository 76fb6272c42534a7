import BerthCore
import Foundation

/// Docker's POST /containers/create body (the fields berth honours; the rest are kept as sent).
public struct ContainerCreateRequest: Codable, Sendable {
    public var Hostname: String?
    public var Domainname: String?
    public var User: String?
    public var AttachStdin: Bool?
    public var AttachStdout: Bool?
    public var AttachStderr: Bool?
    public var Tty: Bool?
    public var OpenStdin: Bool?
    public var StdinOnce: Bool?
    public var Env: [String]?
    public var Cmd: StringOrArray?
    public var Entrypoint: StringOrArray?
    public var Image: String?
    public var Labels: [String: String]?
    public var WorkingDir: String?
    public var StopSignal: String?
    public var StopTimeout: Int?
    public var ExposedPorts: [String: EmptyObject]?
    public var Volumes: [String: EmptyObject]?
    /// Docker's health check: Test `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`; times in ns.
    public var Healthcheck: HealthConfig?
    public var HostConfig: HostConfig?

    public init() {}
}

/// Docker accepts `"Cmd": "sh"` as well as `["sh"]`.
public struct StringOrArray: Codable, Sendable, Equatable {
    public var values: [String]
    public init(_ v: [String]) { values = v }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { values = [s] } else { values = try c.decode([String].self) }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }
}

public struct HostConfig: Codable, Sendable {
    public struct RestartPolicy: Codable, Sendable {
        public var Name: String?
        public var MaximumRetryCount: Int?
        public init(Name: String?, MaximumRetryCount: Int?) { self.Name = Name; self.MaximumRetryCount = MaximumRetryCount }
    }
    public struct Mount: Codable, Sendable {
        public var `Type`: String?
        public var Source: String?
        public var Target: String?
        public var ReadOnly: Bool?
        public init(Type: String?, Source: String?, Target: String?, ReadOnly: Bool?) {
            self.Type = Type; self.Source = Source; self.Target = Target; self.ReadOnly = ReadOnly
        }
    }
    public var Binds: [String]?
    public var AutoRemove: Bool?
    public var RestartPolicy: RestartPolicy?
    public var Privileged: Bool?
    public var CapAdd: [String]?
    public var CapDrop: [String]?
    public var Memory: Int64?
    public var NanoCpus: Int64?
    public var PidsLimit: Int64?
    public var ReadonlyRootfs: Bool?
    public var Tmpfs: [String: String]?
    public var NetworkMode: String?
    public var Init: Bool?
    public var Mounts: [Mount]?
    public var LogConfig: LogConfig?

    /// Docker's `--log-driver` and `--log-opt`.
    public struct LogConfig: Codable, Sendable {
        public var `Type`: String?
        public var Config: [String: String]?
        public init(Type: String?, Config: [String: String]?) { self.Type = Type; self.Config = Config }
    }

    public init() {}
}

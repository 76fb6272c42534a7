/// POST /exec/{id}/start's body.
public struct ExecStartConfig: Codable, Sendable, Equatable {
    public var Detach: Bool?
    public var Tty: Bool?
    public init(Detach: Bool?, Tty: Bool?) { self.Detach = Detach; self.Tty = Tty }
}

/// GET /exec/{id}/json.
public struct ExecInspect: Codable, Sendable {
    public struct ProcessConfig: Codable, Sendable {
        public var tty: Bool
        public var entrypoint: String
        public var arguments: [String]
        public var privileged: Bool
        public var user: String
        public init(tty: Bool, entrypoint: String, arguments: [String], privileged: Bool, user: String) {
            self.tty = tty; self.entrypoint = entrypoint; self.arguments = arguments
            self.privileged = privileged; self.user = user
        }
    }
    public var ID: String
    public var Running: Bool
    public var ExitCode: Int32?
    public var ProcessConfig: ProcessConfig
    public var OpenStdin: Bool
    public var OpenStderr: Bool
    public var OpenStdout: Bool
    public var CanRemove: Bool
    public var ContainerID: String
    public var DetachKeys: String
    public var Pid: Int32

    public init(
        ID: String, Running: Bool, ExitCode: Int32?, ProcessConfig: ProcessConfig, OpenStdin: Bool,
        OpenStderr: Bool, OpenStdout: Bool, CanRemove: Bool, ContainerID: String, DetachKeys: String, Pid: Int32
    ) {
        self.ID = ID; self.Running = Running; self.ExitCode = ExitCode; self.ProcessConfig = ProcessConfig
        self.OpenStdin = OpenStdin; self.OpenStderr = OpenStderr; self.OpenStdout = OpenStdout
        self.CanRemove = CanRemove; self.ContainerID = ContainerID; self.DetachKeys = DetachKeys; self.Pid = Pid
    }

    enum CodingKeys: String, CodingKey {
        case ID, Running, ExitCode, ProcessConfig, OpenStdin, OpenStderr, OpenStdout, CanRemove, ContainerID, DetachKeys, Pid
    }

    /// Docker writes `"ExitCode": null` while the process runs (clients index it).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ID, forKey: .ID)
        try c.encode(Running, forKey: .Running)
        try c.encode(ExitCode, forKey: .ExitCode)
        try c.encode(self.ProcessConfig, forKey: .ProcessConfig)
        try c.encode(OpenStdin, forKey: .OpenStdin)
        try c.encode(OpenStderr, forKey: .OpenStderr)
        try c.encode(OpenStdout, forKey: .OpenStdout)
        try c.encode(CanRemove, forKey: .CanRemove)
        try c.encode(ContainerID, forKey: .ContainerID)
        try c.encode(DetachKeys, forKey: .DetachKeys)
        try c.encode(Pid, forKey: .Pid)
    }
}

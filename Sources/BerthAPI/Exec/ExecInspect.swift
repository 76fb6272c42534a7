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
}

/// Docker's POST /containers/{id}/exec body.
public struct ExecConfig: Codable, Sendable {
    public var AttachStdin: Bool?
    public var AttachStdout: Bool?
    public var AttachStderr: Bool?
    public var Tty: Bool?
    public var DetachKeys: String?
    public var Env: [String]?
    public var Cmd: [String]?
    public var WorkingDir: String?
    public var User: String?
    public var Privileged: Bool?
    public init() {}
}

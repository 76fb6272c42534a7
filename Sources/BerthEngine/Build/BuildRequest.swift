import BerthAPI
import BerthCore
import Foundation

/// What `berth build` / POST /build asks for.
public struct BuildRequest: Sendable {
    /// The context as a tar (any compression); nil for a build without one.
    public var contextArchive: String?
    /// The Dockerfile's path inside the context.
    public var dockerfile = "Dockerfile"
    /// A Dockerfile given apart from the context (`-f -`, a remote context); wins over `dockerfile`.
    public var dockerfileText: String?
    public var tags: [String] = []
    /// `--build-arg K=V`; a nil value takes berthd's environment variable of that name, as Docker.
    public var buildArgs: [String: String?] = [:]
    public var labels: [String: String] = [:]
    public var target: String?
    public var noCache = false
    /// Pull every base image again (`--pull`).
    public var pull = false
    /// The network RUN steps join (`--network`): Docker's default bridge unless told.
    public var networkMode: String?
    /// `--add-host HOST:IP` for the RUN steps' /etc/hosts.
    public var extraHosts: [String] = []
    /// Only the final id in the stream (`-q`).
    public var quiet = false
    public var auth: AuthConfig?

    public init() {}
}

/// One message of the classic builder's JSON stream.
public enum BuildMessage: Sendable {
    /// Text for the terminal (`Step 1/3 : FROM busybox\n`).
    case stream(String)
    /// The built image (`{"aux":{"ID":"sha256:…"}}`).
    case aux(id: String)
}

/// Where a build's messages go, in order; called from the build's task only.
public typealias BuildEmitter = @Sendable (BuildMessage) -> Void

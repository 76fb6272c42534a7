import BerthCore
import BerthEngine
import BerthStore
import Foundation

/// Docker's zero time, for times that never happened.
let zeroTime = "0001-01-01T00:00:00Z"

func dockerTime(_ ns: Int64?) -> String { ns.map { Clock.rfc3339Nano($0) } ?? zeroTime }

/// GET /containers/{id}/json (the fields berth fills).
public struct ContainerInspect: Encodable, Sendable {
    public struct State: Encodable, Sendable {
        public var Status: String
        public var Running: Bool
        public var Paused: Bool
        public var Restarting: Bool
        public var OOMKilled: Bool
        public var Dead: Bool
        public var Pid: Int64
        public var ExitCode: Int64
        public var Error: String
        public var StartedAt: String
        public var FinishedAt: String
        /// Only for containers with a health check.
        public var Health: JSONValue?
    }
    public struct MountPoint: Encodable, Sendable {
        public var `Type`: String
        public var Name: String?
        public var Source: String
        public var Destination: String
        public var Mode: String
        public var RW: Bool
        public var Propagation: String
    }
    public var Id: String
    public var Created: String
    public var Path: String
    public var Args: [String]
    public var State: State
    public var Image: String
    public var ResolvConfPath: String
    public var HostnamePath: String
    public var HostsPath: String
    public var LogPath: String
    public var Name: String
    public var RestartCount: Int64
    public var Driver: String
    public var Platform: String
    public var HostConfig: JSONValue
    public var Config: JSONValue
    public var Mounts: [MountPoint]

    public init(_ c: ContainerRecord, mounts: [ContainerQueries.MountRow], containerDir: String) {
        let config = (try? JSONDecoder().decode(JSONValue.self, from: Data(c.configJSON.utf8))) ?? .null
        let req = try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8))
        let argv = (req?.Entrypoint?.values ?? []) + (req?.Cmd?.values ?? [])
        Id = c.id
        Created = dockerTime(c.createdAt)
        Path = argv.first ?? ""
        Args = Array(argv.dropFirst())
        self.State = .init(Status: c.state, Running: c.state == "running" || c.state == "paused",
                      Paused: c.state == "paused", Restarting: c.state == "restarting", OOMKilled: c.oomKilled,
                      Dead: c.state == "dead", Pid: c.pid ?? 0, ExitCode: c.exitCode ?? 0, Error: c.error ?? "",
                      StartedAt: dockerTime(c.startedAt), FinishedAt: dockerTime(c.finishedAt),
                      Health: c.healthJSON.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
                        ?? c.healthStatus.map { .object(["Status": .string($0), "FailingStreak": .number(0), "Log": .array([])]) })
        Image = c.imageID
        ResolvConfPath = containerDir + "/resolv.conf"
        HostnamePath = containerDir + "/hostname"
        HostsPath = containerDir + "/hosts"
        LogPath = containerDir + "/ctr.log"
        Name = "/" + c.name
        RestartCount = c.restartCount
        Driver = "overlay"
        Platform = "linux"
        var hc = (try? JSONDecoder().decode(JSONValue.self, from: Data(c.hostConfigJSON.utf8))) ?? .object([:])
        if case .object(var o) = hc, o["LogConfig"] == nil {
            // The file on disk is conmon's k8s-file, but the logs endpoint answers as Docker's
            // json-file driver does (follow, tail, since, until), and clients such as docker-py
            // only read logs from drivers they know by that name.
            o["LogConfig"] = .object(["Type": .string("json-file"), "Config": .object([:])])
            hc = .object(o)
        }
        HostConfig = hc
        Config = config
        Mounts = mounts.map { m in
            MountPoint(Type: m.type, Name: m.volumeName, Source: m.source ?? "", Destination: m.destination,
                       Mode: m.readOnly ? "ro" : "", RW: !m.readOnly, Propagation: m.type == "bind" ? "rprivate" : "")
        }
    }
}

/// GET /containers/json item.
public struct ContainerSummary: Codable, Sendable {
    public var Id: String
    public var Names: [String]
    public var Image: String
    public var ImageID: String
    public var Command: String
    public var Created: Int64
    public var State: String
    public var Status: String
    public var Labels: [String: String]

    public init(_ c: ContainerRecord, labels: [String: String], now: Int64 = Clock.nowNanos()) {
        Id = c.id
        Names = ["/" + c.name]
        Image = c.imageRef
        ImageID = c.imageID
        Command = c.command
        Created = c.createdAt / 1_000_000_000
        State = c.state
        Status = ContainerSummary.status(c, now: now)
        Labels = labels
    }

    /// Docker's STATUS column: `Up 5 minutes`, `Exited (0) 3 seconds ago`, `Created`…
    public static func status(_ c: ContainerRecord, now: Int64) -> String {
        status(state: c.state, exitCode: c.exitCode, startedAt: c.startedAt, finishedAt: c.finishedAt,
               health: c.healthStatus, now: now)
    }

    public static func status(state: String, exitCode: Int64?, startedAt: Int64?, finishedAt: Int64?,
                              health: String?, now: Int64) -> String {
        let h = health.map { $0 == "starting" ? " (health: starting)" : " (\($0))" } ?? ""
        switch state {
        case "running": return "Up " + Human.duration(nanos: now - (startedAt ?? now)) + h
        case "paused": return "Up " + Human.duration(nanos: now - (startedAt ?? now)) + " (Paused)"
        case "restarting": return "Restarting (\(exitCode ?? 0)) " + Human.duration(nanos: now - (finishedAt ?? now)) + " ago"
        case "exited": return "Exited (\(exitCode ?? 0)) " + Human.duration(nanos: now - (finishedAt ?? now)) + " ago"
        case "removing": return "Removal In Progress"
        case "dead": return "Dead"
        default: return "Created"
        }
    }
}

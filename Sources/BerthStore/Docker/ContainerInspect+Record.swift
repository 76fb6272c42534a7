import BerthAPI
import BerthCore
import Foundation

// Docker's container shapes built from the store's rows: berthd answers with them and the CLI
// reads them straight from SQLite (inspect, ps --format) without a round trip.

extension ContainerInspect {
    /// GET /containers/{id}/json for a row, its mounts and its folder.
    public init(_ c: ContainerRecord, mounts: [ContainerQueries.MountRow], containerDir: String) {
        self.init()
        let config = (try? JSONDecoder().decode(JSONValue.self, from: Data(c.configJSON.utf8))) ?? .null
        let req = try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8))
        let argv = (req?.Entrypoint?.values ?? []) + (req?.Cmd?.values ?? [])
        let st: ContainerState? = c.state
        Id = c.id
        Created = dockerTime(c.createdAt)
        Path = argv.first ?? ""
        Args = Array(argv.dropFirst())
        self.State.Status = c.state.rawValue
        self.State.Running = st?.isRunning ?? false
        self.State.Paused = st == .paused
        self.State.Restarting = st == .restarting
        self.State.OOMKilled = c.oomKilled
        self.State.Dead = st == .dead
        self.State.Pid = c.pid ?? 0
        self.State.ExitCode = c.exitCode ?? 0
        self.State.Error = c.error ?? ""
        self.State.StartedAt = dockerTime(c.startedAt)
        self.State.FinishedAt = dockerTime(c.finishedAt)
        self.State.Health =
            c.healthJSON.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            ?? c.healthStatus.map { .object(["Status": .string($0), "FailingStreak": .number(0), "Log": .array([])]) }
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
        HostConfig = InspectDefaults.fill(hc, InspectDefaults.hostConfig)
        var cfg = InspectDefaults.fill(config, InspectDefaults.config)
        // The create request carries these; Docker's Config does not.
        if case .object(var o) = cfg {
            o["HostConfig"] = nil
            o["NetworkingConfig"] = nil
            cfg = .object(o)
        }
        Config = cfg
        Mounts = mounts.map(MountPoint.init)
    }
}

extension ContainerInspect.MountPoint {
    /// A mount row as inspect and list items show it.
    public init(_ m: ContainerQueries.MountRow) {
        self.init()
        Type = m.type
        Name = m.volumeName
        Source = m.source ?? ""
        Destination = m.destination
        // Docker's Mode: what the -v spec said after the paths (`ro`, `z`, `nocopy`…).
        Mode = ((m.readOnly ? ["ro"] : []) + (m.type == "volume" && m.optionList.contains("nocopy") ? ["nocopy"] : [])).joined(separator: ",")
        RW = !m.readOnly
        Propagation = m.type == "bind" ? (m.propagation ?? "rprivate") : ""
    }
}

extension ContainerSummary {
    /// GET /containers/json item for a row.
    public init(_ c: ContainerRecord, labels: [String: String], now: Int64 = Clock.nowNanos()) {
        self.init()
        Id = c.id
        Names = ["/" + c.name]
        Image = c.imageRef
        ImageID = c.imageID
        Command = c.command
        Created = c.createdAt / 1_000_000_000
        State = c.state.rawValue
        Status = ContainerSummary.status(c, now: now)
        Labels = labels
    }

    /// The list item with its ports and networks (as `docker ps` reads them).
    public init(
        _ c: ContainerRecord, labels: [String: String], ports: [PortRow], networks: [NetworkAttachment],
        now: Int64 = Clock.nowNanos()
    ) {
        self.init(c, labels: labels, now: now)
        let settings = BerthAPI.NetworkSettings(c, networks: networks, ports: ports)
        var list: [Port] = []
        for p in ports {
            if p.published, let hp = p.hostPort, c.isRunning {
                list.append(Port(IP: p.hostIP.isEmpty ? "0.0.0.0" : p.hostIP, PrivatePort: p.containerPort, PublicPort: hp, Type: p.proto))
            } else if !p.published {
                list.append(Port(IP: nil, PrivatePort: p.containerPort, PublicPort: nil, Type: p.proto))
            }
        }
        self.Ports = list
        var n = SummaryNetworkSettings()
        n.Networks = settings.Networks
        self.NetworkSettings = n
        var h = SummaryHostConfig()
        h.NetworkMode = c.networkMode
        self.HostConfig = h
    }

    /// Docker's STATUS column for a row.
    public static func status(_ c: ContainerRecord, now: Int64) -> String {
        c.state.status(
            exitCode: c.exitCode, startedAt: c.startedAt, finishedAt: c.finishedAt,
            health: c.healthStatus, now: now)
    }
}

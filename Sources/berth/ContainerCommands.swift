import ArgumentParser
import BerthAPI
import BerthCore
import BerthEngine
import BerthImage
import BerthStore
import Foundation

/// Runs `body` for each name, printing the name on success and Docker's error otherwise;
/// exits 1 if any failed.
func eachContainer(_ names: [String], command: String, _ body: (String) async throws -> Void) async throws {
    guard !names.isEmpty else {
        throw CLIError(message: "\"berth \(command)\" requires at least 1 argument.\nSee 'berth \(command) --help'.")
    }
    var failed = false
    for n in names {
        do {
            try await body(n)
            Out.print(n)
        } catch let e as BerthError where e.code == .notModified {
            Out.print(n)
        } catch let e as BerthError where e.code != .unavailable {
            Out.err("Error response from daemon: " + e.message)
            failed = true
        }
    }
    if failed { throw ExitCode(1) }
}

/// `berth start`.
struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start one or more stopped containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Attach STDOUT/STDERR and forward signals.") var attach = false
    @Flag(name: .shortAndLong, help: "Attach container's STDIN.") var interactive = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container.") var detachKeys: String?
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        if attach || interactive {
            guard containers.count == 1 else {
                throw CLIError(message: "you cannot start and attach multiple containers at once")
            }
            let keys = try Run.detachKeys(detachKeys)
            let r = try await daemon { try await client.send(.GET, client.path("/containers", containers[0], "/json")) }
            struct Info: Decodable { struct Config: Decodable { var Tty: Bool?; var OpenStdin: Bool? }; var Id: String; var Config: Config }
            let info = try JSONDecoder().decode(Info.self, from: r.body)
            let code = try await daemon {
                try await Attached.session(client, id: info.Id, tty: info.Config.Tty ?? false,
                                           stdin: interactive && (info.Config.OpenStdin ?? false), detachKeys: keys,
                                           detachKeysSpec: detachKeys, sigProxy: true, condition: "next-exit") {
                    _ = try await client.send(.POST, client.path("/containers", info.Id, "/start"))
                }
            }
            if let code, code != 0 { throw ExitCode(code) }
            return
        }
        try await eachContainer(containers, command: "start") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/start"))
        }
    }
}

/// `berth stop`.
struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop one or more running containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container.") var time: Int?
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(containers, command: "stop") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/stop"), query: time.map { [("t", String($0))] } ?? [])
        }
    }
}

/// `berth restart`.
struct Restart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restart one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container.") var time: Int?
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(containers, command: "restart") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/restart"), query: time.map { [("t", String($0))] } ?? [])
        }
    }
}

/// `berth kill`.
struct Kill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Kill one or more running containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Signal to send to the container.") var signal: String?
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(containers, command: "kill") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/kill"), query: signal.map { [("signal", $0)] } ?? [])
        }
    }
}

/// `berth pause`.
struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause all processes within one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(containers, command: "pause") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/pause"))
        }
    }
}

/// `berth unpause`.
struct Unpause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Unpause all processes within one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(containers, command: "unpause") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/unpause"))
        }
    }
}

/// `berth rename`.
struct Rename: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rename a container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER") var container: String
    @Argument(help: "NEW_NAME") var newName: String

    func run() async throws {
        let client = try global.client()
        _ = try await daemon {
            try await client.send(.POST, client.path("/containers", container, "/rename"), query: [("name", newName)])
        }
    }
}

/// `berth rm`.
struct Rm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL).") var force = false
    @Flag(name: .shortAndLong, help: "Remove anonymous volumes associated with the container.") var volumes = false
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        if containers.count > 1 {
            // Many at once: one batched request (see ContainerService.removeMany).
            struct Batch: Encodable { var Refs: [String]; var Force: Bool; var Volumes: Bool }
            let body = try JSONEncoder().encode(Batch(Refs: containers, Force: force, Volumes: volumes))
            let r = try await daemon { try await client.send(.POST, "/berth/containers/remove", body: .data(body)) }
            var out = "", failed = false
            for o in try JSONDecoder().decode([RemoveOutcome].self, from: r.body) {
                if let e = o.Error { Out.err("Error response from daemon: " + e); failed = true } else { out += o.Ref + "\n" }
            }
            Out.write(out)
            if failed { throw ExitCode(1) }
            return
        }
        try await eachContainer(containers, command: "rm") { n in
            var q: [(String, String)] = []
            if force { q.append(("force", "1")) }
            if volumes { q.append(("v", "1")) }
            _ = try await client.send(.DELETE, client.path("/containers", n), query: q)
        }
    }
}

/// `berth wait`.
struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Block until one or more containers stop, then print their exit codes.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        guard !containers.isEmpty else { throw CLIError(message: "\"berth wait\" requires at least 1 argument.") }
        let client = try global.client()
        var failed = false
        for n in containers {
            do {
                let r = try await client.send(.POST, client.path("/containers", n, "/wait"))
                struct Waited: Decodable { var StatusCode: Int64 }
                Out.print(String(try JSONDecoder().decode(Waited.self, from: r.body).StatusCode))
            } catch let e as BerthError where e.code != .unavailable {
                Out.err("Error response from daemon: " + e.message)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// `berth logs`.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fetch the logs of a container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Follow log output.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs.") var tail: String?
    @Option(name: .long, help: "Show logs since timestamp or relative (e.g. 42m).") var since: String?
    @Option(name: .long, help: "Show logs before a timestamp or relative (e.g. 42m).") var until: String?
    @Flag(name: [.customShort("t"), .long], help: "Show timestamps.") var timestamps = false
    @Argument(help: "CONTAINER") var container: String

    func run() async throws {
        let client = try global.client()
        var q: [(String, String)] = [("stdout", "1"), ("stderr", "1")]
        if follow { q.append(("follow", "1")) }
        if let tail, tail != "all" { q.append(("tail", tail)) }
        if let since { q.append(("since", since)) }
        if let until { q.append(("until", until)) }
        if timestamps { q.append(("timestamps", "1")) }
        let p = try client.begin(.GET, client.path("/containers", container, "/logs"), query: q)
        var demux = StreamDemux()
        do {
            try p.stream { demux.feed($0) }
        } catch let e as BerthError where e.code != .unavailable {
            throw CLIError(message: "Error response from daemon: " + e.message)
        }
    }
}

/// `berth ps`: Docker's flags and filters, answered by one SQL query on the database (no
/// runtime calls), so it is fast with thousands of containers and works with berthd down.
struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).") var all = false
    @Flag(name: .shortAndLong, help: "Only display container IDs.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?
    @Option(name: .shortAndLong, help: "Filter output based on conditions provided (key=value).") var filter: [String] = []
    @Option(name: [.customShort("n"), .long], help: "Show n last created containers (includes all states).") var last: Int?
    @Flag(name: [.customShort("l"), .long], help: "Show the latest created container (includes all states).") var latest = false
    @Flag(name: .shortAndLong, help: "Display total file sizes.") var size = false

    func run() throws {
        let store = try global.store()
        var filters: [String: [String]] = [:]
        for f in filter {
            let kv = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CLIError(message: "invalid argument \"\(f)\" for \"-f, --filter\" flag: bad format of filter (expected name=value)", code: 125) }
            filters[kv[0], default: []].append(kv[1])
        }
        let query = ContainerListQuery(all: all, filters: filters, last: latest ? 1 : (last.flatMap { $0 >= 0 ? $0 : nil }))
        var fmt = format ?? "table"
        if fmt == "json" { fmt = "{{json .}}" }
        if fmt == "table" {
            fmt = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
            if size { fmt += "\t{{.Size}}" }
        }
        if quiet || (format ?? "table") == "table" && !size {
            try lean(store, query)
            return
        }
        let template = try GoTemplate(fmt.hasPrefix("table ") ? String(fmt.dropFirst(6)) : fmt)
        let names = Set(template.fieldNames)
        let wantsJSON = template.usesWholeJSON
        let wantsLabels = wantsJSON || names.contains("Labels") || fmt.contains(".Label ")
        let (rows, labels, ports, mounts) = try read(store) { db in
            let rows = try query.run(db) { try ImageResolver.imageIDs(db, $0) }
            let labels = wantsLabels ? try ContainerQueries.labels(db, ids: rows.map(\.id)) : [:]
            let ports = try ContainerQueries.portsText(db)
            let mounts = wantsJSON || names.contains("Mounts") ? try ContainerQueries.mountNames(db) : [:]
            return (rows, labels, ports, mounts)
        }
        let now = Clock.nowNanos()
        let imageSizes: [String: Int64] = size || names.contains("Size")
            ? try store.read { db in try ImageQueries.sizes(db) } : [:]
        let templateRows = rows.map { c -> TemplateRow in
            var cmd = "\"" + c.command + "\""
            if !noTrunc && c.command.count > 20 { cmd = "\"" + c.command.prefix(19) + "…\"" }
            let l = labels[c.id] ?? [:]
            var network = "none"
            if c.hostConfigJSON.contains("\"NetworkMode\":\"host\"") { network = "host" }
            var sizeText = ""
            if size || names.contains("Size") {
                // Docker's SIZE: the writable layer's bytes, and with the image's (virtual).
                let rw = FileOps.treeSize(global.paths.containers + "/" + c.id + "/upper")
                let image = imageSizes[c.imageID] ?? 0
                sizeText = Human.size(rw, precision: 3) + " (virtual " + Human.size(rw + image, precision: 3) + ")"
            }
            let fields = ["ID": noTrunc ? c.id : String(c.id.prefix(12)), "Image": c.imageRef, "Command": cmd,
                          "CreatedAt": ImageTable.goTimeString(c.createdAt),
                          "RunningFor": Human.duration(nanos: now - c.createdAt) + " ago",
                          "Status": ContainerSummary.status(c, now: now), "State": c.state, "Ports": ports[c.id] ?? "",
                          "Names": c.name, "Labels": l.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                          "Mounts": mounts[c.id] ?? "", "Networks": network, "Size": sizeText, "LocalVolumes": "0"]
            let json = wantsJSON ? String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self) : ""
            return TemplateRow(fields: fields, labels: l, json: json)
        }
        let headers = ["ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "RunningFor": "CREATED",
                       "CreatedAt": "CREATED AT", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES", "State": "STATE",
                       "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS", "Size": "SIZE", "LocalVolumes": "LOCAL VOLUMES"]
        Out.write(try Table.render(templateRows, format: fmt, headers: headers))
    }

    /// The listing's read: bad filters worded as the daemon's error; then, with berthd down,
    /// the warning that states may be stale (the answer still comes from the database).
    func read<T>(_ store: Store, _ body: (StoreTransaction) throws -> T) throws -> T {
        let out: T
        do { out = try store.read(body) } catch let e as BerthError where e.code == .invalidArgument || e.code == .notFound {
            throw CLIError(message: "Error response from daemon: " + e.message)
        }
        if APIClient.isDown(try global.socketPath()) {
            Out.err("berth: berthd is not running; container states may be stale")
        }
        return out
    }

    /// `-q` and the default table straight from the lean rows: no templates, no JSON columns.
    func lean(_ store: Store, _ query: ContainerListQuery) throws {
        let (rows, ports) = try read(store) { db in
            (try query.runLean(db) { try ImageResolver.imageIDs(db, $0) },
             quiet ? [:] : try ContainerQueries.portsText(db))
        }
        if quiet {
            var out = ""
            out.reserveCapacity(rows.count * 13)
            for r in rows { out += (noTrunc ? r.id : String(r.id.prefix(12))) + "\n" }
            Out.write(out)
            return
        }
        let now = Clock.nowNanos()
        var table: [[String]] = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
        table.reserveCapacity(rows.count + 1)
        for r in rows {
            var cmd = "\"" + r.command + "\""
            // utf8 first: most commands are short ASCII, and counting characters is not free.
            if !noTrunc && r.command.utf8.count > 20 && r.command.count > 20 { cmd = "\"" + r.command.prefix(19) + "…\"" }
            table.append([noTrunc ? r.id : String(r.id.prefix(12)), r.image, cmd,
                          Human.duration(nanos: now - r.createdAt) + " ago",
                          ContainerSummary.status(state: r.state, exitCode: r.exitCode, startedAt: r.startedAt,
                                                  finishedAt: r.finishedAt, health: r.health, now: now),
                          ports[r.id] ?? "", r.name])
        }
        Out.write(TabWriter.format(rows: table, minWidth: 10, padding: 3))
    }
}

/// `berth update`: the restart policy of existing containers.
struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Update configuration of one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:N]).") var restart: String?
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        guard let restart else { throw CLIError(message: "you must provide one or more flags when using this command", code: 1) }
        let parts = restart.split(separator: ":", maxSplits: 1).map(String.init)
        guard ["no", "always", "unless-stopped", "on-failure"].contains(parts.first ?? ""),
              parts.count == 1 || (parts[0] == "on-failure" && Int(parts[1]) != nil) else {
            throw CLIError(message: "invalid restart policy format: \(restart)", code: 125)
        }
        struct Body: Encodable { var RestartPolicy: HostConfig.RestartPolicy }
        let body = try JSONEncoder().encode(Body(RestartPolicy: .init(Name: parts[0], MaximumRetryCount: parts.count > 1 ? Int(parts[1]) : 0)))
        let client = try global.client()
        try await eachContainer(containers, command: "update") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/update"), body: .data(body))
        }
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthKube
import BerthStore
import Foundation

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
    @Flag(name: .shortAndLong, help: "Show the pod (kube play) each container belongs to, as podman ps --pod.") var pod = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Show the containers as they were at this time (RFC 3339, Unix seconds, or a duration such as 2h meaning that long ago).",
            discussion: "Rebuilt from history: removed containers included, states, names, restart counts and ports as they were then; CREATED and STATUS read as they would have then. Sizes (-s) are today's, for containers that still exist."))
    var at: String?

    func run() throws {
        let store = try global.store()
        var filters: [String: [String]] = [:]
        for f in filter {
            let kv = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else {
                throw CLIError(message: "invalid argument \"\(f)\" for \"-f, --filter\" flag: bad format of filter (expected name=value)", code: 125)
            }
            filters[kv[0], default: []].append(kv[1])
        }
        var query = ContainerListQuery(all: all, filters: filters, last: latest ? 1 : (last.flatMap { $0 >= 0 ? $0 : nil }))
        query.at = try at.map { try Self.moment($0) }
        let output = ListFormat(
            defaultTable: Self.defaultTable + (size ? "\t{{.Size}}" : "") + (pod ? "\t{{.PodName}}" : ""), headers: Self.headers)
        let fmt = output.resolve(format)
        if quiet || ListFormat.isDefault(format) && !size && !pod {
            try lean(store, query)
            return
        }
        let template = try GoTemplate(fmt.hasPrefix("table ") ? String(fmt.dropFirst(6)) : fmt)
        let names = Set(template.fieldNames)
        let wantsJSON = template.usesWholeJSON
        let wantsLabels = wantsJSON || names.contains("Labels") || names.contains("PodName") || fmt.contains(".Label ")
        let (rows, labels, ports, mounts) = try read(store) { db in
            let rows = try query.run(db) { try ImageResolver.imageIDs(db, $0) }
            let wantsMounts = wantsJSON || names.contains("Mounts")
            if let at = query.at {
                let running = rows.filter { $0.state.isRunning }.map(\.id)
                return (rows, wantsLabels ? try at.labels(db) : [:], try at.portsText(db, running: running), wantsMounts ? try at.mountNames(db) : [:])
            }
            let labels = wantsLabels ? try ContainerQueries.labels(db, ids: rows.map(\.id)) : [:]
            let ports = try ContainerQueries.portsText(db)
            let mounts = wantsMounts ? try ContainerQueries.mountNames(db) : [:]
            return (rows, labels, ports, mounts)
        }
        let now = query.at?.time ?? Clock.nowNanos()
        let imageSizes: [String: Int64] =
            size || names.contains("Size")
            ? try store.read { db in try ImageQueries.sizes(db) } : [:]
        let templateRows = rows.map { c -> TemplateRow in
            var cmd = "\"" + c.command + "\""
            if !noTrunc && c.command.count > 20 { cmd = "\"" + c.command.prefix(19) + "…\"" }
            let l = labels[c.id] ?? [:]
            let network = c.networkMode
            var sizeText = ""
            if size || names.contains("Size") {
                // Docker's SIZE: the writable layer's bytes, and with the image's (virtual).
                let upper = global.paths.containers + "/" + c.id + "/upper"
                let rw = FileOps.treeSize(upper)
                let image = imageSizes[c.imageID] ?? 0
                sizeText = Human.size(rw, precision: 3) + " (virtual " + Human.size(rw + image, precision: 3) + ")"
                // A removed container's layer is gone: its size then cannot be known.
                if query.at != nil && !FileOps.exists(upper) { sizeText = "-" }
            }
            let fields = [
                "ID": noTrunc ? c.id : String(c.id.prefix(12)), "Image": c.imageRef, "Command": cmd,
                "CreatedAt": ImageTable.goTimeString(c.createdAt),
                "RunningFor": Human.duration(nanos: now - c.createdAt) + " ago",
                "Status": ContainerSummary.status(c, now: now), "State": c.state.rawValue, "Ports": ports[c.id] ?? "",
                "Names": c.name, "Labels": l.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                "Mounts": mounts[c.id] ?? "", "Networks": network, "Size": sizeText, "LocalVolumes": "0",
                "PodName": l[KubePlan.podLabel] ?? "",
            ]
            let json = wantsJSON ? String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self) : ""
            return TemplateRow(fields: fields, labels: l, json: json)
        }
        Out.write(try output.render(templateRows, format: format))
    }

    /// `--at`'s moment: the forms `--since` takes; a future time or a garbled one is refused.
    static func moment(_ text: String, now: Int64 = Clock.nowNanos()) throws -> HostAt {
        guard let t = Clock.parseTimestamp(text, now: now) else {
            throw CLIError(
                message: "invalid value for \"--at\": \(text): use an RFC 3339 time (2026-12-01T03:00:00Z, fractions allowed), Unix seconds (1764558000.5) or a duration meaning that long ago (2h, 90m)",
                code: 125)
        }
        guard t <= now else {
            throw CLIError(message: "invalid value for \"--at\": \(text) is in the future; history goes up to now", code: 125)
        }
        return HostAt(time: t)
    }

    static let defaultTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
    static let headers = [
        "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "RunningFor": "CREATED",
        "CreatedAt": "CREATED AT", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES", "State": "STATE",
        "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS", "Size": "SIZE", "LocalVolumes": "LOCAL VOLUMES",
        "PodName": "PODNAME",
    ]

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
            let rows = try query.runLean(db) { try ImageResolver.imageIDs(db, $0) }
            guard !quiet else { return (rows, [String: String]()) }
            guard let at = query.at else { return (rows, try ContainerQueries.portsText(db)) }
            return (rows, try at.portsText(db, running: rows.filter { ContainerState(stored: $0.state).isRunning }.map(\.id)))
        }
        if quiet {
            var out = ""
            out.reserveCapacity(rows.count * 13)
            for r in rows { out += (noTrunc ? r.id : String(r.id.prefix(12))) + "\n" }
            Out.write(out)
            return
        }
        let now = query.at?.time ?? Clock.nowNanos()
        var table: [[String]] = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
        table.reserveCapacity(rows.count + 1)
        for r in rows {
            var cmd = "\"" + r.command + "\""
            // utf8 first: most commands are short ASCII, and counting characters is not free.
            if !noTrunc && r.command.utf8.count > 20 && r.command.count > 20 { cmd = "\"" + r.command.prefix(19) + "…\"" }
            table.append([
                noTrunc ? r.id : String(r.id.prefix(12)), r.image, cmd,
                Human.duration(nanos: now - r.createdAt) + " ago",
                ContainerSummary.status(
                    state: r.state, exitCode: r.exitCode, startedAt: r.startedAt,
                    finishedAt: r.finishedAt, health: r.health, now: now),
                ports[r.id] ?? "", r.name,
            ])
        }
        Out.write(TabWriter.format(rows: table, minWidth: 10, padding: 3))
    }
}

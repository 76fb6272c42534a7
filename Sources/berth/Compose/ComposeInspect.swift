import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `compose port SERVICE PRIVATE_PORT`: the host address of one service container's port.
struct ComposePort: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "Print the public port for a port binding.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Option(name: .long, help: "tcp or udp.") var `protocol` = "tcp"
    @Option(name: .long, help: "Index of the container if the service has several replicas.") var index = 1
    @Argument(help: "SERVICE") var service: String
    @Argument(help: "PRIVATE_PORT") var port: String

    func run() throws {
        guard let n = Int(port), (1...65535).contains(n) else { throw CLIError(message: "invalid port \(port)", code: 1) }
        guard ["tcp", "udp", "sctp"].contains(`protocol`) else { throw CLIError(message: "invalid protocol \(`protocol`)", code: 1) }
        let project = try opts.projectName()
        let store = try opts.global.store()
        let m = try ComposeRows.members(store, project: project).first { $0.service == service && $0.number == index && !$0.oneoff }
        guard let m else { throw CLIError(message: "service \"\(service)\" is not running", code: 1) }
        let rows = try store.read { db in try ContainerQueries.publishedPorts(db, id: m.record.id) }
        // As docker compose: the first binding of that port (its IPv4 one, when both).
        guard let r = rows.first(where: { $0.containerPort == n && $0.proto == `protocol` }) else {
            throw CLIError(message: "no port \(n)/\(`protocol`) for container \(m.record.name): \(rows.isEmpty ? "no port published" : "not published")", code: 1)
        }
        let ip = r.hostIP ?? ""
        Out.print((ip.isEmpty ? "0.0.0.0" : ip.contains(":") ? "[\(ip)]" : ip) + ":" + String(r.hostPort ?? 0))
    }
}

/// `compose images`: the images the project's containers use.
struct ComposeImages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images used by the created containers.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Only display IDs.") var quiet = false
    @Option(name: .long, help: "Format output: table or json.") var format: String?
    @Argument(help: "SERVICE…") var services: [String] = []

    func run() throws {
        let store = try opts.global.store()
        let members = try ComposeRows.members(store, project: try opts.projectName())
            .filter { services.isEmpty || services.contains($0.service) }
        let sizes = try store.read { db in
            Dictionary(try members.compactMap { m in try ImageQueries.listing(db, id: m.record.imageID).map { (m.record.imageID, $0.size) } }) { a, _ in a }
        }
        if quiet {
            var seen = Set<String>()
            for m in members where seen.insert(m.record.imageID).inserted { Out.print(Identifier.short(m.record.imageID)) }
            return
        }
        let rows = members.map { m -> [String] in
            let (repo, tag) = Self.split(m.record.imageRef)
            return [m.record.name, repo, tag, Identifier.short(m.record.imageID), Human.size(sizes[m.record.imageID] ?? 0)]
        }
        if format == "json" {
            let objs = zip(members, rows).map { m, r in
                ["ContainerName": r[0], "Repository": r[1], "Tag": r[2], "ID": m.record.imageID, "Size": String(sizes[m.record.imageID] ?? 0)]
            }
            Out.print(String(decoding: try JSONCoding.encode(objs), as: UTF8.self))
            return
        }
        guard format == nil || format == "table" else { throw CLIError(message: "invalid format \(format!): table or json", code: 1) }
        Out.write(TabWriter.format(rows: [["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]] + rows, minWidth: 0, padding: 3))
    }

    /// `busybox:1.36` → (busybox, 1.36); a digest or an id → (name or `<none>`, `<none>`).
    static func split(_ ref: String) -> (String, String) {
        guard let r = try? Reference.parse(ref) else { return ("<none>", "<none>") }
        return (r.familiarName, r.tag ?? (r.digest == nil ? "latest" : "<none>"))
    }
}

/// `compose top`: each running service container's processes.
struct ComposeTop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Argument(help: "SERVICE…") var services: [String] = []

    func run() async throws {
        let engine = ComposeEngine(client: try opts.global.client(), project: try opts.projectName())
        var first = true
        for m in try await engine.members() where (services.isEmpty || services.contains(m.service)) && m.state == "running" {
            let r = try await engine.client.send(.GET, engine.client.path("/containers", m.id, "/top"))
            let top = try JSONDecoder().decode(TopResult.self, from: r.body)
            if !first { Out.print("") }
            first = false
            Out.print(m.name)
            Out.write(TabWriter.format(rows: [top.Titles] + top.Processes, minWidth: 0, padding: 3))
        }
    }
}

/// The project's containers as the database has them (for the commands that need no berthd).
enum ComposeRows {
    struct Member {
        var record: ContainerRecord
        var labels: [String: String]
        var service: String { labels[ComposePlan.serviceLabel] ?? "" }
        var number: Int { Int(labels[ComposePlan.numberLabel] ?? "") ?? 0 }
        var oneoff: Bool { labels[ComposePlan.oneoffLabel] == "True" }
    }

    /// Every container of the project (`all`) or the running ones, by service then number.
    static func members(_ store: Store, project: String, all: Bool = true) throws -> [Member] {
        try store.read { db -> [Member] in
            let rows = try ContainerListQuery(all: all, filters: ["label": ["\(ComposePlan.projectLabel)=\(project)"]]).run(db) { _ in [] }
            let labels = try ContainerQueries.labels(db, ids: rows.map(\.id))
            return rows.map { Member(record: $0, labels: labels[$0.id] ?? [:]) }
                .sorted { ($0.service, $0.number, $0.record.name) < ($1.service, $1.number, $1.record.name) }
        }
    }
}

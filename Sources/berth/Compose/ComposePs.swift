import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `compose ps`: the project's containers, read from the database as `berth ps` reads them.
struct ComposePs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Show all stopped containers.") var all = false
    @Flag(name: .shortAndLong, help: "Only display IDs.") var quiet = false
    @Flag(name: .long, help: "Display services.") var services = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?
    @Argument(help: "SERVICE…") var only: [String] = []

    func run() throws {
        let name = try opts.projectName()
        let store = try opts.global.store()
        let ports = try store.read { db in try ContainerQueries.portsText(db) }
        let rows = try ComposeRows.members(store, project: name, all: all)
            .filter { only.isEmpty || only.contains($0.service) }
            .sorted { ($0.service, $0.record.name) < ($1.service, $1.record.name) }
            .map { ($0.record, $0.labels, ports[$0.record.id] ?? "") }
        if quiet { for r in rows { Out.print(r.0.id) }; return }
        if services { for s in Set(rows.map { $0.1[ComposePlan.serviceLabel] ?? "" }).sorted() { Out.print(s) }; return }
        let now = Clock.nowNanos()
        let out = ListFormat(
            defaultTable: "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}",
            headers: [
                "Name": "NAME", "Image": "IMAGE", "Command": "COMMAND", "Service": "SERVICE", "RunningFor": "CREATED",
                "Status": "STATUS", "Ports": "PORTS", "ID": "ID", "State": "STATE", "Project": "PROJECT",
            ])
        let table = rows.map { c, labels, ports -> TemplateRow in
            let fields = [
                "ID": c.id, "Name": c.name, "Image": c.imageRef, "Command": "\"" + c.command + "\"",
                "Service": labels[ComposePlan.serviceLabel] ?? "", "Project": name,
                "RunningFor": Human.duration(nanos: now - c.createdAt) + " ago", "Status": ContainerSummary.status(c, now: now),
                "State": c.state.rawValue, "Ports": ports,
            ]
            return TemplateRow(fields: fields, labels: labels, json: String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self))
        }
        Out.write(try out.render(table, format: format))
    }
}

/// `compose ls`: projects, from the containers' labels in the database.
struct ComposeLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List running compose projects.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Show all stopped Compose projects.") var all = false
    @Flag(name: .shortAndLong, help: "Only display project names.") var quiet = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?

    func run() throws {
        let store = try global.store()
        let rows = try store.read { db -> [(ContainerRecord, [String: String])] in
            let list = try ContainerListQuery(all: true, filters: ["label": [ComposePlan.projectLabel]]).run(db) { _ in [] }
            let labels = try ContainerQueries.labels(db, ids: list.map(\.id))
            return list.map { ($0, labels[$0.id] ?? [:]) }
        }
        var projects: [String: (states: [String: Int], files: String)] = [:]
        for (c, l) in rows {
            guard let p = l[ComposePlan.projectLabel] else { continue }
            projects[p, default: ([:], l[ComposePlan.filesLabel] ?? "")].states[c.state.rawValue, default: 0] += 1
        }
        let shown = projects.filter { all || ($0.value.states["running"] ?? 0) > 0 }.sorted { $0.key < $1.key }
        if quiet { for (n, _) in shown { Out.print(n) }; return }
        let out = ListFormat(
            defaultTable: "table {{.Name}}\t{{.Status}}\t{{.ConfigFiles}}",
            headers: ["Name": "NAME", "Status": "STATUS", "ConfigFiles": "CONFIG FILES"])
        let table = shown.map { n, v -> TemplateRow in
            let status = v.states.sorted { $0.key < $1.key }.map { "\($0.key)(\($0.value))" }.joined(separator: ", ")
            let fields = ["Name": n, "Status": status, "ConfigFiles": v.files]
            return TemplateRow(fields: fields, json: String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self))
        }
        Out.write(try out.render(table, format: format))
    }
}

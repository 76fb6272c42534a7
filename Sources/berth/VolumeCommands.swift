import ArgumentParser
import BerthAPI
import BerthCore
import BerthEngine
import BerthStore
import Foundation

/// `berth volume …`.
struct VolumeGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes.",
        subcommands: [VolumeLs.self, VolumeCreate.self, VolumeInspect.self, VolumeRm.self, VolumePrune.self])
}

struct VolumeLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.", aliases: ["list"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Only display volume names.") var quiet = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?

    func run() throws {
        let vols = try global.store().read { db in try VolumeStore.list(db) }
        if quiet {
            Out.write(vols.map { $0.Name + "\n" }.joined())
            return
        }
        let rows = vols.map { v in
            let fields = ["Name": v.Name, "Driver": v.Driver, "Mountpoint": v.Mountpoint, "Scope": v.Scope,
                          "CreatedAt": v.CreatedAt, "Labels": v.Labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
            return TemplateRow(fields: fields, labels: v.Labels,
                               json: String(decoding: (try? JSONEncoder().encode(v)) ?? Data(), as: UTF8.self))
        }
        var fmt = format ?? "table {{.Driver}}\t{{.Name}}"
        if fmt == "json" { fmt = "{{json .}}" }
        Out.write(try Table.render(rows, format: fmt, headers: ["Driver": "DRIVER", "Name": "VOLUME NAME",
                                                                 "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE"]))
    }
}

struct VolumeCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Set metadata for a volume (k=v).") var label: [String] = []
    @Argument(help: "VOLUME") var name: String?

    func run() async throws {
        let client = try global.client()
        struct Body: Encodable { var Name: String?; var Labels: [String: String] }
        let body = try JSONEncoder().encode(Body(Name: name, Labels: CreateOptions.pairs(label, separator: "=")))
        let r = try await daemon { try await client.send(.POST, "/volumes/create", body: .data(body)) }
        Out.print(try JSONDecoder().decode(VolumeRecord.self, from: r.body).Name)
    }
}

struct VolumeInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more volumes.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "VOLUME") var names: [String] = []

    func run() throws {
        let store = try global.store()
        var values: [JSONValue] = []
        var missing = false
        for n in names {
            do {
                values.append(try PrettyJSON.value(try store.read { db in try VolumeStore.get(db, n) }))
            } catch let e as BerthError where e.code == .notFound {
                Out.err("Error: No such volume: \(n)")
                missing = true
            }
        }
        Out.print(PrettyJSON.render(.array(values)))
        if missing { throw ExitCode(1) }
    }
}

struct VolumeRm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more volumes.", aliases: ["remove"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Force the removal of one or more volumes.") var force = false
    @Argument(help: "VOLUME") var names: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(names, command: "volume rm") { n in
            _ = try await client.send(.DELETE, client.path("/volumes", n), query: force ? [("force", "1")] : [])
        }
    }
}

struct VolumePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused local volumes.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Remove all unused volumes, not just anonymous ones.") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false

    func run() async throws {
        if !force {
            Out.print(all ? "WARNING! This will remove all local volumes not used by at least one container."
                          : "WARNING! This will remove anonymous local volumes not used by at least one container.")
            guard Out.confirm("Are you sure you want to continue?") else { return }
        }
        let client = try global.client()
        let filters = all ? "{\"all\":[\"true\"]}" : "{}"
        let r = try await daemon { try await client.send(.POST, "/volumes/prune", query: [("filters", filters)]) }
        struct Pruned: Decodable { var VolumesDeleted: [String]; var SpaceReclaimed: Int64 }
        let p = try JSONDecoder().decode(Pruned.self, from: r.body)
        if !p.VolumesDeleted.isEmpty {
            Out.print("Deleted Volumes:")
            for n in p.VolumesDeleted { Out.print(n) }
            Out.print("")
        }
        Out.print("Total reclaimed space: " + Human.size(p.SpaceReclaimed))
    }
}

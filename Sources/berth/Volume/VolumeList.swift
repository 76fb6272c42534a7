import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

struct VolumeLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.", aliases: ["list"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Only display volume names.") var quiet = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?
    @Option(name: .shortAndLong, help: "Provide filter values (dangling=true, driver=, label=, name=).") var filter: [String] = []

    func run() throws {
        let filters = try filterFlags(filter)
        let vols = try global.store().read { db in try VolumeStore.list(db, filters: filters) }
        if quiet {
            Out.write(vols.map { $0.Name + "\n" }.joined())
            return
        }
        let rows = vols.map { v in
            let fields = [
                "Name": v.Name, "Driver": v.Driver, "Mountpoint": v.Mountpoint, "Scope": v.Scope,
                "CreatedAt": v.CreatedAt, "Labels": v.Labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            ]
            return TemplateRow(
                fields: fields, labels: v.Labels,
                json: String(decoding: (try? JSONEncoder().encode(v)) ?? Data(), as: UTF8.self))
        }
        Out.write(try Self.output.render(rows, format: format))
    }

    static let output = ListFormat(
        defaultTable: "table {{.Driver}}\t{{.Name}}",
        headers: ["Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE"])
}

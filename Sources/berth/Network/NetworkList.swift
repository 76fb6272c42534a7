import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth network ls`, read from the database.
struct NetworkLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.", aliases: ["list"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Only display network IDs.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate the output.") var noTrunc = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?
    @Option(name: .shortAndLong, help: "Provide filter values (e.g. 'name=web', 'label=k=v', 'driver=bridge').") var filter: [String] = []

    func run() throws {
        var given: [String: [String]] = [:]
        for f in filter {
            let kv = KeyValue.parse(f)
            guard let v = kv.value else { throw CLIError(message: "Error response from daemon: invalid filter '\(f)'") }
            given[kv.key, default: []].append(v)
        }
        let filters: NetworkFilters
        do { filters = try NetworkFilters(given) } catch let e as BerthError { throw CLIError(message: "Error response from daemon: " + e.message) }
        let nets = try global.store().read { db in try filters.list(db) }
        let id = { (n: NetworkRecord) in noTrunc ? n.id : String(n.id.prefix(12)) }
        if quiet {
            Out.write(nets.map { id($0) + "\n" }.joined())
            return
        }
        let rows = nets.map { n in
            let fields = [
                "ID": id(n), "Name": n.name, "Driver": n.driver, "Scope": "local", "IPv6": n.subnet6 != nil ? "true" : "false",
                "Internal": n.internal ? "true" : "false", "CreatedAt": Clock.rfc3339Nano(n.createdAt),
                "Labels": n.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            ]
            return TemplateRow(fields: fields, labels: n.labels, json: String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self))
        }
        Out.write(try Self.output.render(rows, format: format))
    }

    static let output = ListFormat(
        defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
        headers: [
            "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL",
            "CreatedAt": "CREATED", "Labels": "LABELS",
        ])
}

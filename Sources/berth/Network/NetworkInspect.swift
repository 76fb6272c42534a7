import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// `berth network inspect`, read from the database.
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Format the output using a Go template.") var format: String?
    @Argument(help: "NETWORK") var names: [String] = []

    func run() throws {
        let store = try global.store()
        var values: [JSONValue] = []
        var missing = false
        for n in names {
            do {
                values.append(try PrettyJSON.value(try store.read { db in try NetworkResource.read(db, n) }))
            } catch let e as BerthError where e.code == .notFound {
                Out.err("Error response from daemon: network \(n) not found")
                missing = true
            }
        }
        if let format {
            let t = try GoTemplate(format)
            for v in values { Out.print(try t.render(TemplateRow(fields: [:], json: String(decoding: try JSONEncoder().encode(v), as: UTF8.self)))) }
        } else {
            Out.print(PrettyJSON.render(.array(values)))
        }
        if missing { throw ExitCode(1) }
    }
}

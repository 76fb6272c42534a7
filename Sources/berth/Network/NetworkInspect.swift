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
        let (values, missing) = try InspectOptions.collect(
            names, read: { n in try store.read { db in try NetworkResource.read(db, n) } },
            missing: { "Error response from daemon: network \($0) not found" })
        try InspectOptions.print(values, format: format)
        if missing { throw ExitCode(1) }
    }
}

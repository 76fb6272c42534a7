import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

struct VolumeInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more volumes.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "VOLUME") var names: [String] = []

    func run() throws {
        let store = try global.store()
        let (values, missing) = try InspectOptions.collect(
            names, read: { n in try store.read { db in try VolumeStore.get(db, n) } }, missing: { "Error: No such volume: \($0)" })
        try InspectOptions.print(values, format: nil)
        if missing { throw ExitCode(1) }
    }
}

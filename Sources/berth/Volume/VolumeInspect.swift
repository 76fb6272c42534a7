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

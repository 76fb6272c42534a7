import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

struct VolumePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused local volumes.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Remove all unused volumes, not just anonymous ones.") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false

    func run() async throws {
        if !force {
            Out.print(
                all
                    ? "WARNING! This will remove all local volumes not used by at least one container."
                    : "WARNING! This will remove anonymous local volumes not used by at least one container.")
            guard Out.confirm("Are you sure you want to continue?") else { return }
        }
        let client = try global.client()
        let filters = all ? "{\"all\":[\"true\"]}" : "{}"
        let r = try await daemon { try await client.send(.POST, "/volumes/prune", query: [("filters", filters)]) }
        let p = try JSONDecoder().decode(VolumePruneReport.self, from: r.body)
        Out.pruneReport("Deleted Volumes:", p.VolumesDeleted, reclaimed: p.SpaceReclaimed)
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth network prune`.
struct NetworkPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (e.g. 'until=<timestamp>', 'label=k=v').") var filter: [String] = []

    func run() async throws {
        if !force && !Out.confirm("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?") {
            return
        }
        let client = try global.client()
        let q = filter.isEmpty ? [] : [("filters", try filtersJSON(filter))]
        let r = try await daemon { try await client.send(.POST, "/networks/prune", query: q) }
        let names = try JSONDecoder().decode(NetworkPruneReport.self, from: r.body).NetworksDeleted ?? []
        if !names.isEmpty { Out.write("Deleted Networks:\n" + names.map { $0 + "\n" }.joined()) }
    }
}

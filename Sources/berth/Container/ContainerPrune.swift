import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth container prune`.
struct ContainerPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (e.g. \"until=<timestamp>\", \"label=k=v\", \"label!=k\").") var filter: [String] = []

    func run() async throws {
        let q = try filtersJSON(filter)
        if !force {
            Out.print("WARNING! This will remove all stopped containers.")
            guard Out.confirm("Are you sure you want to continue?") else { return }
        }
        let client = try global.client()
        let (ids, bytes) = try await Self.prune(client, filters: q)
        if !ids.isEmpty {
            Out.write("Deleted Containers:\n" + ids.map { $0 + "\n" }.joined() + "\n")
        }
        Out.print("Total reclaimed space: " + Human.size(bytes))
    }

    static func prune(_ client: APIClient, filters: String) async throws -> ([String], Int64) {
        let r = try await daemon { try await client.send(.POST, "/containers/prune", query: [("filters", filters)]) }
        let p = try JSONDecoder().decode(ContainerPruneReport.self, from: r.body)
        return (p.ContainersDeleted ?? [], p.SpaceReclaimed)
    }
}

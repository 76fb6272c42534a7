import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth builder`: the build cache.
struct BuilderGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder", abstract: "Manage builds.", subcommands: [BuilderPrune.self])
}

/// `berth builder prune`: forgets the build cache and removes the step images only it kept.
struct BuilderPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove build cache.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Flag(name: .shortAndLong, help: "Remove all unused build cache, not just dangling ones (the same here).") var all = false

    func run() async throws {
        if !force {
            Out.print("WARNING! This will remove all dangling build cache.")
            guard Out.confirm("Are you sure you want to continue?") else { return }
        }
        let client = try global.client()
        let r = try await daemon { try await client.send(.POST, "/build/prune") }
        let report = try JSONDecoder().decode(BuildCachePruneReport.self, from: r.body)
        Out.pruneReport("Deleted build cache objects:", report.CachesDeleted, reclaimed: report.SpaceReclaimed)
    }
}

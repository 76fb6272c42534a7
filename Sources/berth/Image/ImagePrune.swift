import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth image prune`.
struct ImagePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images, not just dangling ones.") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (e.g. \"until=<timestamp>\", \"label=k=v\").") var filter: [String] = []

    func run() async throws {
        var filters: [String: [String: Bool]] = [:]
        for f in filter {
            guard let eq = f.firstIndex(of: "=") else { throw CLIError(message: "bad format of filter (expected name=value)") }
            filters[String(f[..<eq]), default: [:]][String(f[f.index(after: eq)...])] = true
        }
        if all { filters["dangling"] = ["false": true] }
        if !force {
            let warning =
                all
                ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images."
            Out.print(warning)
            guard Out.confirm("Are you sure you want to continue?") else { return }
        }
        let client = try global.client()
        let q = String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
        let r = try await daemon { try await client.send(.POST, "/images/prune", query: [("filters", q)]) }
        let report = try JSONDecoder().decode(ImagePruneReport.self, from: r.body)
        Self.printDeleted(report)
        Out.print("Total reclaimed space: " + Human.size(report.SpaceReclaimed))
    }

    /// Docker's "Deleted Images:" block (image prune, system prune).
    static func printDeleted(_ report: ImagePruneReport) {
        guard let items = report.ImagesDeleted, !items.isEmpty else { return }
        Out.print("Deleted Images:")
        for i in items {
            if let u = i.Untagged { Out.print("untagged: " + u) }
            if let d = i.Deleted { Out.print("deleted: " + d) }
        }
        Out.print("")
    }
}

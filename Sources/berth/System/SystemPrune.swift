import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth system prune`.
struct SystemPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images not just dangling ones.") var all = false
    @Flag(name: .long, help: "Prune anonymous volumes.") var volumes = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (e.g. \"label=<key>=<value>\").") var filter: [String] = []

    func run() async throws {
        let q = try filtersJSON(filter)
        if !force {
            var lines = ["WARNING! This will remove:", "  - all stopped containers"]
            if volumes { lines.append("  - all anonymous volumes not used by at least one container") }
            lines.append(all ? "  - all images without at least one container associated to them" : "  - all dangling images")
            Out.print(lines.joined(separator: "\n") + "\n")
            guard Out.confirm("Are you sure you want to continue?") else { return }
        }
        let client = try global.client()
        var total: Int64 = 0
        let (ids, bytes) = try await ContainerPrune.prune(client, filters: q)
        total += bytes
        if !ids.isEmpty { Out.write("Deleted Containers:\n" + ids.map { $0 + "\n" }.joined() + "\n") }
        if volumes {
            let r = try await daemon { try await client.send(.POST, "/volumes/prune") }
            let p = try JSONDecoder().decode(VolumePruneReport.self, from: r.body)
            total += p.SpaceReclaimed
            if let v = p.VolumesDeleted, !v.isEmpty { Out.write("Deleted Volumes:\n" + v.map { $0 + "\n" }.joined() + "\n") }
        }
        var imageFilters = (try? JSONDecoder().decode([String: [String: Bool]].self, from: Data(q.utf8))) ?? [:]
        if all { imageFilters["dangling"] = ["false": true] }
        let iq = String(decoding: try JSONEncoder().encode(imageFilters), as: UTF8.self)
        let r = try await daemon { try await client.send(.POST, "/images/prune", query: [("filters", iq)]) }
        let report = try JSONDecoder().decode(ImagePruneReport.self, from: r.body)
        total += report.SpaceReclaimed
        ImagePrune.printDeleted(report)
        Out.print("Total reclaimed space: " + Human.size(total))
    }
}

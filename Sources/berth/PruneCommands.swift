import ArgumentParser
import BerthAPI
import BerthCore
import BerthEngine
import Foundation

/// Docker's `--filter k=v` list as the API's filters JSON.
func filtersJSON(_ items: [String]) throws -> String {
    var filters: [String: [String: Bool]] = [:]
    for f in items {
        guard let eq = f.firstIndex(of: "=") else { throw CLIError(message: "bad format of filter (expected name=value)", code: 125) }
        filters[String(f[..<eq]), default: [:]][String(f[f.index(after: eq)...])] = true
    }
    return String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
}

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
        struct Pruned: Decodable { var ContainersDeleted: [String]?; var SpaceReclaimed: Int64 }
        let p = try JSONDecoder().decode(Pruned.self, from: r.body)
        return (p.ContainersDeleted ?? [], p.SpaceReclaimed)
    }
}

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
            struct Pruned: Decodable { var VolumesDeleted: [String]?; var SpaceReclaimed: Int64 }
            let p = try JSONDecoder().decode(Pruned.self, from: r.body)
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

/// `berth system …`.
struct SystemGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "system", abstract: "Manage berth.",
                                                    subcommands: [SystemPrune.self, Info.self, EventsCommand.self, SystemBackup.self])
}

/// `berth container …`.
struct ContainerGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers.",
        subcommands: [ContainerLs.self, ContainerPrune.self, ContainerHistory.self, Rm.self, Start.self, Stop.self,
                      Restart.self, Kill.self, Exec.self, Attach.self, Logs.self, Top.self, Port.self, Cp.self, Wait.self,
                      Create.self, Run.self, Rename.self, Pause.self, Unpause.self])
}

/// `berth container ls`.
struct ContainerLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers.", aliases: ["ps", "list"])
    @OptionGroup var ps: Ps
    func run() throws { try ps.run() }
}

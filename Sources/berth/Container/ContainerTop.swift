import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// `berth top`.
struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Display the running processes of a container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String
    @Argument(parsing: .captureForPassthrough, help: "[ps OPTIONS]") var psArgs: [String] = []

    func run() async throws {
        let client = try global.client()
        let q = psArgs.isEmpty ? [] : [("ps_args", psArgs.joined(separator: " "))]
        let r = try await daemon { try await client.send(.GET, client.path("/containers", container, "/top"), query: q) }
        let top = try JSONDecoder().decode(TopResult.self, from: r.body)
        // Docker's top table: tabwriter with a minimum width of 20.
        Out.write(TabWriter.format(rows: [top.Titles] + top.Processes, minWidth: 20, padding: 3))
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth diff`.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect changes to files or directories on a container's filesystem.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String

    func run() async throws {
        let client = try global.client()
        let r = try await daemon { try await client.send(.GET, client.path("/containers", container, "/changes")) }
        let changes = (try? JSONDecoder().decode([ContainerChange]?.self, from: r.body)) ?? nil
        Out.write((changes ?? []).map { "\(["C", "A", "D"][min(max($0.Kind, 0), 2)]) \($0.Path)\n" }.joined())
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth rename`.
struct Rename: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rename a container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String
    @Argument(help: "NEW_NAME") var newName: String

    func run() async throws {
        let client = try global.client()
        _ = try await daemon {
            try await client.send(.POST, client.path("/containers", container, "/rename"), query: [("name", newName)])
        }
    }
}

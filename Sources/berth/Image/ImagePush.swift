import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth push`.
struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Upload an image to a registry.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Suppress verbose output.") var quiet = false
    @Argument(help: "NAME[:TAG]", completion: Completions.images) var name: String

    func run() async throws {
        let client = try global.client()
        let messages = try await daemon {
            try progressMessages(try await client.send(.POST, client.path("/images", name, "/push"), headers: DockerConfig.header(for: name)).body)
        }
        for (status, id) in messages where !quiet || status.contains(": digest: ") {
            Out.print(id.map { "\($0): \(status)" } ?? status)
        }
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth update`: the restart policy of existing containers.
struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Update configuration of one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:N]).") var restart: String?
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        guard let restart else { throw CLIError(message: "you must provide one or more flags when using this command", code: 1) }
        let parts = restart.split(separator: ":", maxSplits: 1).map(String.init)
        guard ["no", "always", "unless-stopped", "on-failure"].contains(parts.first ?? ""),
            parts.count == 1 || (parts[0] == "on-failure" && Int(parts[1]) != nil)
        else {
            throw CLIError(message: "invalid restart policy format: \(restart)", code: 125)
        }
        let body = try JSONEncoder().encode(
            ContainerUpdateRequest(RestartPolicy: .init(Name: parts[0], MaximumRetryCount: parts.count > 1 ? Int(parts[1]) : 0)))
        let client = try global.client()
        try await eachContainer(containers, command: "update") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/update"), body: .data(body))
        }
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth wait`.
struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Block until one or more containers stop, then print their exit codes.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []

    func run() async throws {
        guard !containers.isEmpty else { throw CLIError(message: "\"berth wait\" requires at least 1 argument.") }
        let client = try global.client()
        var failed = false
        for n in containers {
            do {
                let r = try await client.send(.POST, client.path("/containers", n, "/wait"))
                Out.print(String(try JSONDecoder().decode(ContainerWaitResponse.self, from: r.body).StatusCode))
            } catch let e as BerthError where e.code != .unavailable {
                Out.err("Error response from daemon: " + e.message)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

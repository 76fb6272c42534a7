import ArgumentParser
import BerthCore

/// `berth network rm`.
struct NetworkRm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more networks.", aliases: ["remove"])
    @OptionGroup var global: GlobalOptions
    @Argument(help: "NETWORK") var names: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(names, command: "network rm") { n in
            _ = try await client.send(.DELETE, client.path("/networks", n))
        }
    }
}

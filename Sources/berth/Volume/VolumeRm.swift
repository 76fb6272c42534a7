import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

struct VolumeRm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more volumes.", aliases: ["remove"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Force the removal of one or more volumes.") var force = false
    @Argument(help: "VOLUME") var names: [String] = []

    func run() async throws {
        let client = try global.client()
        try await eachContainer(names, command: "volume rm") { n in
            _ = try await client.send(.DELETE, client.path("/volumes", n), query: force ? [("force", "1")] : [])
        }
    }
}

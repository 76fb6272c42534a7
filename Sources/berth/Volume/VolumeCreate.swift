import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

struct VolumeCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Set metadata for a volume (k=v).") var label: [String] = []
    @Option(name: .shortAndLong, help: "Specify volume driver name (local).") var driver: String?
    @Option(name: .shortAndLong, help: "Set driver specific options.") var opt: [String] = []
    @Argument(help: "VOLUME") var name: String?

    func run() async throws {
        let client = try global.client()
        let body = try JSONEncoder().encode(
            VolumeCreateRequest(
                Name: name, Labels: CreateOptions.pairs(label, separator: "="), Driver: driver,
                DriverOpts: opt.isEmpty ? nil : CreateOptions.pairs(opt, separator: "=")))
        let r = try await daemon { try await client.send(.POST, "/volumes/create", body: .data(body)) }
        Out.print(try JSONDecoder().decode(Volume.self, from: r.body).Name)
    }
}

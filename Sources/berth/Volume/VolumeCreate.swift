import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

struct VolumeCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Set metadata for a volume (k=v).") var label: [String] = []
    @Argument(help: "VOLUME") var name: String?

    func run() async throws {
        let client = try global.client()
        let body = try JSONEncoder().encode(VolumeCreateRequest(Name: name, Labels: CreateOptions.pairs(label, separator: "=")))
        let r = try await daemon { try await client.send(.POST, "/volumes/create", body: .data(body)) }
        Out.print(try JSONDecoder().decode(Volume.self, from: r.body).Name)
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth push`.
struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Upload an image to a registry.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Suppress verbose output.") var quiet = false
    @Argument(help: "NAME[:TAG]") var name: String

    func run() async throws {
        let client = try global.client()
        let r = try await daemon { try await client.send(.POST, client.path("/images", name, "/push"), headers: DockerConfig.header(for: name)) }
        for line in r.body.split(separator: 0x0a) {
            guard let msg = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            if let err = msg["error"] as? String { throw CLIError(message: "Error response from daemon: " + err) }
            let status = msg["status"] as? String ?? ""
            if quiet && !status.contains(": digest: ") { continue }
            Out.print((msg["id"] as? String).map { "\($0): \(status)" } ?? status)
        }
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth export`.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export a container's filesystem as a tar archive.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT.") var output: String?
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String

    func run() async throws {
        if output == nil && isatty(1) != 0 {
            throw CLIError(message: "cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let client = try global.client()
        try await DownloadTarget.write(output, what: "export") { fd in
            try await daemon { _ = try await client.download(client.path("/containers", container, "/export"), to: fd) }
        }
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth save`.
struct Save: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save one or more images to a tar archive (docker-archive).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT.") var output: String?
    @Argument(help: "IMAGE", completion: Completions.images) var images: [String] = []

    func run() async throws {
        guard !images.isEmpty else { throw CLIError(message: "\"berth save\" requires at least 1 argument.\nSee 'berth save --help'.") }
        if output == nil && isatty(1) != 0 {
            throw CLIError(message: "cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let client = try global.client()
        try await DownloadTarget.write(output, what: "save image") { fd in
            try await daemon { _ = try await client.download("/images/get", query: images.map { ("names", $0) }, to: fd) }
        }
    }
}

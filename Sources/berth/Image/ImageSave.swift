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
    @Argument(help: "IMAGE") var images: [String] = []

    func run() async throws {
        guard !images.isEmpty else { throw CLIError(message: "\"berth save\" requires at least 1 argument.\nSee 'berth save --help'.") }
        if output == nil && isatty(1) != 0 {
            throw CLIError(message: "cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let client = try global.client()
        var fd: Int32 = 1
        var tmp: String?
        if let output {
            // Write beside the target and rename, so a failed save leaves no half file.
            tmp = output + ".berth-tmp-" + String(getpid())
            fd = open(tmp!, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CLIError(message: "failed to save image: open \(output): \(String(cString: strerror(errno)))") }
        }
        do {
            try await daemon { try await client.download("/images/get", query: images.map { ("names", $0) }, to: fd) }
            if let output, let tmp {
                fsync(fd); close(fd)
                guard rename(tmp, output) == 0 else { throw CLIError(message: "failed to save image: rename: \(String(cString: strerror(errno)))") }
            }
        } catch {
            if let tmp { close(fd); unlink(tmp) }
            throw error
        }
    }
}

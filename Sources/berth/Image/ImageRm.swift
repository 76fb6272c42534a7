import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

struct RmiOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Force removal of the image.") var force = false
    @Flag(name: .customLong("no-prune"), help: "Do not delete untagged parents.") var noPrune = false
    @Argument(help: "IMAGE", completion: Completions.images) var images: [String] = []

    func run() async throws {
        guard !images.isEmpty else {
            throw CLIError(message: "\"berth rmi\" requires at least 1 argument.\nSee 'berth rmi --help'.")
        }
        let client = try global.client()
        var failed = false
        for name in images {
            do {
                var q: [(String, String)] = []
                if force { q.append(("force", "1")) }
                if noPrune { q.append(("noprune", "1")) }
                let r = try await daemon { try await client.send(.DELETE, client.path("/images", name), query: q) }
                let items = try JSONDecoder().decode([ImageDeleteItem].self, from: r.body)
                for i in items {
                    if let u = i.Untagged { Out.print("Untagged: " + u) }
                    if let d = i.Deleted { Out.print("Deleted: " + d) }
                }
            } catch let e as CLIError {
                Out.err(e.message)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// `berth rmi`.
struct Rmi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove one or more images.")
    @OptionGroup var options: RmiOptions
    func run() async throws { try await options.run() }
}

/// `berth image rm`.
struct ImageRm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more images.", aliases: ["remove"])
    @OptionGroup var options: RmiOptions
    func run() async throws { try await options.run() }
}

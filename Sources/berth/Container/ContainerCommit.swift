import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import Foundation

/// `berth commit`.
struct Commit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a new image from a container's changes.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\").") var author: String?
    @Option(name: .shortAndLong, help: "Apply Dockerfile instruction to the created image.") var change: [String] = []
    @Option(name: .shortAndLong, help: "Commit message.") var message: String?
    @Option(name: .shortAndLong, help: "Pause container during commit (default true).") var pause: Bool = true
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String
    @Argument(help: "[REPOSITORY[:TAG]]") var reference: String?

    func run() async throws {
        var query = [("container", container), ("pause", pause ? "1" : "0")]
        if let reference {
            let ref = try Reference.parse(reference)
            if ref.digest != nil { throw CLIError(message: "refusing to create a tag with a digest reference") }
            query.append(("repo", ref.name))
            if let t = ref.tag { query.append(("tag", t)) }
        }
        if let message { query.append(("comment", message)) }
        if let author { query.append(("author", author)) }
        query += change.map { ("changes", $0) }
        let client = try global.client()
        let r = try await daemon { try await client.send(.POST, "/commit", query: query) }
        let id = try JSONDecoder().decode(IDResponse.self, from: r.body).Id
        Out.print(id)
    }
}

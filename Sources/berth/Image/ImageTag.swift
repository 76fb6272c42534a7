import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth tag`.
struct Tag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "SOURCE_IMAGE[:TAG]", completion: Completions.images) var source: String
    @Argument(help: "TARGET_IMAGE[:TAG]") var target: String

    func run() async throws {
        let ref = try Reference.parse(target)
        if ref.digest != nil { throw CLIError(message: "refusing to create a tag with a digest reference") }
        var query = [("repo", ref.name)]
        if let t = ref.tag { query.append(("tag", t)) }
        let client = try global.client()
        _ = try await daemon { try await client.send(.POST, client.path("/images", source, "/tag"), query: query) }
    }
}

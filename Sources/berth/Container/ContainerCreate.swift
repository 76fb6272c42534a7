import ArgumentParser
import BerthImage
import BerthStore
import Foundation

/// `berth create`.
struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a new container.")
    @OptionGroup var options: CreateOptions

    func run() async throws {
        let id = try await options.create(try options.global.client())
        Out.print(id)
    }
}

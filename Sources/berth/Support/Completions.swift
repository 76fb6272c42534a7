import ArgumentParser
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// Shell completion of container and image names, read straight from SQLite (the shell asks
/// `berth ---completion …` on every tab: no daemon round trip). Any failure completes nothing.
enum Completions {
    static let containers = CompletionKind.custom { _, _, prefix in names(prefix) { db in try ContainerQueries.completionNames(db) } }
    static let images = CompletionKind.custom { _, _, prefix in names(prefix) { db in try ImageQueries.completionNames(db) } }

    static func names(_ prefix: String, _ read: (StoreTransaction) throws -> [String]) -> [String] {
        let paths = BerthPaths.resolve(root: nil, runroot: nil)
        guard let store = try? Store.openForQuery(path: paths.database), let all = try? store.read(read) else { return [] }
        return all.filter { $0.hasPrefix(prefix) }.sorted()
    }
}

/// `berth completion bash|zsh|fish`: the script for a shell (`make install` installs them).
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion", abstract: "Print the shell completion script (bash, zsh or fish).")
    @Argument(help: "bash, zsh or fish") var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw CLIError(message: "unknown shell \"\(shell)\": use bash, zsh or fish", code: 1)
        }
        Out.write(Berth.completionScript(for: kind))
    }
}

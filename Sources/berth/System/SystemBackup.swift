import ArgumentParser
import BerthCore
import BerthStore
import Foundation

/// `berth system backup FILE`: a consistent copy of berth.db (SQLite's online backup API),
/// taken while berthd runs. Restore by stopping berthd and putting the copy in place.
struct SystemBackup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent copy of berth's database to FILE (berthd may keep running).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Where to write the copy (mode 0600).") var file: String

    func run() async throws {
        let store = try global.store()
        try store.backup(to: file)
        Out.print(file)
    }
}

import ArgumentParser
import Foundation

/// `berth system …`.
struct SystemGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage berth.",
        subcommands: [SystemPrune.self, SystemDF.self, Info.self, EventsCommand.self, SystemBackup.self])
}

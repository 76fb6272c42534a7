import ArgumentParser
import BerthStore
import Foundation

/// `berth image …`.
struct ImageGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images.",
        subcommands: [
            ImageLs.self, ImageInspectCommand.self, Load.self, Import.self, Tag.self, ImageRm.self,
            ImagePrune.self, Save.self, History.self, Build.self,
        ])
}

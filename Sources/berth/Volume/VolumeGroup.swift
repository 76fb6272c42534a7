import ArgumentParser
import BerthCore
import Foundation

/// `berth volume …`.
struct VolumeGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes.",
        subcommands: [VolumeLs.self, VolumeCreate.self, VolumeInspect.self, VolumeRm.self, VolumePrune.self])
}

import ArgumentParser
import BerthStore
import Foundation

/// `berth image inspect`.
struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images.")
    @OptionGroup var options: InspectOptions
    func run() throws { try options.run(imagesOnly: true) }
}

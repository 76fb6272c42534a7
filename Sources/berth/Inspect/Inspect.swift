import ArgumentParser
import BerthCore
import BerthStore
import Foundation

/// `berth inspect`: containers first, then images, as Docker looks them up.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Return low-level information on berth objects.")
    @OptionGroup var options: InspectOptions
    func run() throws { try options.run() }
}

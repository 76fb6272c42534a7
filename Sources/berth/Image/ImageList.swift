import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

struct ImagesOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Show all images (default hides intermediate images).")
    var all = false

    @Flag(name: .shortAndLong, help: "Only show image IDs.")
    var quiet = false

    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.")
    var noTrunc = false

    @Flag(name: .long, help: "Show digests.")
    var digests = false

    @Option(name: .long, help: "Format output: table, table TEMPLATE, json, or a Go template.")
    var format: String?

    @Option(name: .shortAndLong, help: "Filter output (dangling=, reference=, label=, before=, since=).")
    var filter: [String] = []

    @Argument(help: "REPOSITORY[:TAG]")
    var repository: String?

    func run() throws {
        var flags = filter
        if let repository { flags.append("reference=" + repository) }
        let filters = try ImageFilters(flags: flags)
        let store = try global.store()
        let images = try store.read { db in try filters.list(db, all: all) }
        Out.write(try ImageTable.render(images, quiet: quiet, noTrunc: noTrunc, digests: digests, format: format))
    }
}

/// `berth images`.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List images.")
    @OptionGroup var options: ImagesOptions
    func run() throws { try options.run() }
}

/// `berth image ls`.
struct ImageLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])
    @OptionGroup var options: ImagesOptions
    func run() throws { try options.run() }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth logs`.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fetch the logs of a container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Follow log output.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs.") var tail: String?
    @Option(name: .long, help: "Show logs since timestamp or relative (e.g. 42m).") var since: String?
    @Option(name: .long, help: "Show logs before a timestamp or relative (e.g. 42m).") var until: String?
    @Flag(name: [.customShort("t"), .long], help: "Show timestamps.") var timestamps = false
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String

    func run() async throws {
        let client = try global.client()
        var q: [(String, String)] = [("stdout", "1"), ("stderr", "1")]
        if follow { q.append(("follow", "1")) }
        if let tail, tail != "all" { q.append(("tail", tail)) }
        if let since { q.append(("since", since)) }
        if let until { q.append(("until", until)) }
        if timestamps { q.append(("timestamps", "1")) }
        let p = try client.begin(.GET, client.path("/containers", container, "/logs"), query: q)
        var demux = StreamDemux()
        do {
            try p.stream { demux.feed($0) }
        } catch let e as BerthError where e.code != .unavailable {
            throw CLIError(message: "Error response from daemon: " + e.message)
        }
    }
}

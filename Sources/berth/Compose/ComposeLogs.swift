import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import Foundation
import Synchronization

/// `compose logs`: every container's output interleaved as it comes, each line prefixed with
/// its container's name (coloured on a terminal, as Docker does).
struct ComposeLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "View output from containers.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Follow log output.") var follow = false
    @Flag(name: [.customShort("t"), .long], help: "Show timestamps.") var timestamps = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs for each container.") var tail: String?
    @Flag(name: .customLong("no-color"), help: "Produce monochrome output.") var noColor = false
    @Flag(name: .customLong("no-log-prefix"), help: "Don't print prefix in logs.") var noLogPrefix = false
    @Argument(help: "SERVICE…") var services: [String] = []

    func run() async throws {
        let name = try opts.projectName()
        let engine = ComposeEngine(client: try opts.global.client(), project: name)
        let members = try await engine.members().filter { services.isEmpty || services.contains($0.service) }
        let width = members.map(\.name.count).max() ?? 0
        let colours = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]
        let colour = !noColor && isatty(1) == 1
        var q: [(String, String)] = [("stdout", "1"), ("stderr", "1")]
        if follow { q.append(("follow", "1")) }
        if let tail, tail != "all" { q.append(("tail", tail)) }
        if timestamps { q.append(("timestamps", "1")) }
        let query = q
        let lock = Mutex(())
        // One reader thread per container: lines are written whole, under one lock.
        let group = DispatchGroup()
        for (i, m) in members.enumerated() {
            let pad = m.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let prefix = noLogPrefix ? "" : (colour ? "\u{1B}[\(colours[i % colours.count])m\(pad) |\u{1B}[0m " : "\(pad)  | ")
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let p = try? engine.client.begin(.GET, engine.client.path("/containers", m.id, "/logs"), query: query) else { return }
                var demux = StreamDemux(), pending: [UInt8] = []
                try? p.stream { chunk in
                    demux.frames(chunk) { _, payload in pending.append(contentsOf: payload) }
                    var out = ""
                    while let nl = pending.firstIndex(of: 0x0a) {
                        out += prefix + String(decoding: pending[..<nl], as: UTF8.self) + "\n"
                        pending.removeFirst(nl + 1)
                    }
                    if !out.isEmpty { lock.withLock { _ in Out.write(out) } }
                }
                if !pending.isEmpty { lock.withLock { _ in Out.write(prefix + String(decoding: pending, as: UTF8.self) + "\n") } }
            }
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in group.notify(queue: .global()) { c.resume() } }
    }
}

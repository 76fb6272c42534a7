import ArgumentParser
import BerthCompose
import BerthCore
import Foundation

/// `compose config`: the resolved model (files merged, variables interpolated, extends and
/// profiles applied) as YAML.
struct ComposeConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Parse, resolve and render compose file in canonical format.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Only validate the configuration, don't print anything.") var quiet = false
    @Flag(name: .long, help: "Print the service names, one per line.") var services = false
    @Flag(name: .long, help: "Print the volume names, one per line.") var volumes = false

    func run() throws {
        let p = try opts.project()
        if quiet { return }
        if services { for s in p.services { Out.print(s.name) }; return }
        if volumes { for v in p.volumes.keys.sorted() { Out.print(v) }; return }
        Out.write(try ComposeRender.yaml(p))
    }
}

import ArgumentParser
import BerthCompose
import BerthCore
import Foundation

/// `compose build [SERVICE…]`: each named (or every) service with `build:` through berth's
/// builder, tagged as `up` names its image.
struct ComposeBuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build or rebuild services.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .customLong("no-cache"), help: "Do not use cache when building the image.") var noCache = false
    @Flag(name: .long, help: "Always attempt to pull a newer version of the image.") var pull = false
    @Option(name: .customLong("build-arg"), help: "Set build-time variables for services.") var buildArg: [String] = []
    @Argument(help: "SERVICE…") var services: [String] = []

    func run() async throws {
        let p = try opts.project()
        for s in services where p.service(s) == nil { throw CLIError(message: "no such service: \(s)", code: 1) }
        var extra: [String] = []
        if noCache { extra.append("--no-cache") }
        if pull { extra.append("--pull") }
        for a in buildArg { extra += ["--build-arg", a] }
        for s in p.services where services.isEmpty || services.contains(s.name) {
            guard let b = s.build else { continue }
            try await ComposeUp.build(ComposePlan.image(p, s), b, global: opts.global, extra: extra)
            Out.err(" Service \(s.name)  Built")
        }
    }
}

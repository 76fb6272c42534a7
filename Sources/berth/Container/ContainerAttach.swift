import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// `berth attach`.
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attach local standard input, output, and error streams to a running container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN.") var noStdin = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching.") var detachKeys: String?
    @Option(name: .customLong("sig-proxy"), help: "Proxy all received signals to the process (true|false).") var sigProxy: Bool = true
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String

    func run() async throws {
        let client = try global.client()
        let keys = try Run.detachKeys(detachKeys)
        let c = try await daemon { try await client.send(.GET, client.path("/containers", container, "/json")) }
        struct Info: Decodable {
            struct Config: Decodable { var Tty: Bool?; var OpenStdin: Bool? }
            struct State: Decodable { var Running: Bool; var Paused: Bool }
            var Id: String
            var Config: Config
            var State: State
        }
        let info = try JSONDecoder().decode(Info.self, from: c.body)
        guard info.State.Running else { throw CLIError(message: "You cannot attach to a stopped container, start it first") }
        if info.State.Paused { throw CLIError(message: "You cannot attach to a paused container, unpause it first") }
        let code = try await daemon {
            try await Attached.session(
                client, id: info.Id, tty: info.Config.Tty ?? false,
                stdin: !noStdin && (info.Config.OpenStdin ?? false), detachKeys: keys,
                detachKeysSpec: detachKeys, sigProxy: sigProxy, condition: "not-running"
            ) {}
        }
        if let code, code != 0 { throw ExitCode(code) }
    }
}

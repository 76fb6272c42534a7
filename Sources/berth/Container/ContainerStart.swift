import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth start`.
struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start one or more stopped containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Attach STDOUT/STDERR and forward signals.") var attach = false
    @Flag(name: .shortAndLong, help: "Attach container's STDIN.") var interactive = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container.") var detachKeys: String?
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        if attach || interactive {
            guard containers.count == 1 else {
                throw CLIError(message: "you cannot start and attach multiple containers at once")
            }
            let keys = try Run.detachKeys(detachKeys)
            let r = try await daemon { try await client.send(.GET, client.path("/containers", containers[0], "/json")) }
            struct Info: Decodable { struct Config: Decodable { var Tty: Bool?; var OpenStdin: Bool? }; var Id: String; var Config: Config }
            let info = try JSONDecoder().decode(Info.self, from: r.body)
            let code = try await daemon {
                try await Attached.session(
                    client, id: info.Id, tty: info.Config.Tty ?? false,
                    stdin: interactive && (info.Config.OpenStdin ?? false), detachKeys: keys,
                    detachKeysSpec: detachKeys, sigProxy: true, condition: "next-exit"
                ) {
                    _ = try await client.send(.POST, client.path("/containers", info.Id, "/start"))
                }
            }
            if let code, code != 0 { throw ExitCode(code) }
            return
        }
        try await eachContainer(containers, command: "start") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/start"))
        }
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth version`.
struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the berth version information.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Format output: json.") var format: String?

    func run() async throws {
        let client = try global.client()
        var server: VersionInfo?
        var failure: String?
        do {
            let r = try await daemon { try await client.send(.GET, "/version") }
            server = try JSONDecoder().decode(VersionInfo.self, from: r.body)
        } catch let e as BerthError {
            failure = e.message
        } catch let e as CLIError {
            failure = e.message
        }
        if format == "json" {
            struct Both: Encodable { var Client: [String: String]; var Server: VersionInfo? }
            let c = [
                "Version": APIVersion.serverVersion, "ApiVersion": APIVersion.current, "Os": "linux",
                "Arch": HostFacts.goArch,
            ]
            Out.print(String(decoding: try JSONEncoder().encode(Both(Client: c, Server: server)), as: UTF8.self))
        } else {
            Out.print(
                """
                Client:
                 Version:           \(APIVersion.serverVersion)
                 API version:       \(APIVersion.current)
                 OS/Arch:           linux/\(HostFacts.goArch)
                """)
            if let s = server {
                Out.print(
                    """

                    Server: berth
                     Engine:
                      Version:          \(s.Version)
                      API version:      \(s.ApiVersion) (minimum version \(s.MinAPIVersion))
                      OS/Arch:          \(s.Os)/\(s.Arch)
                      Kernel:           \(s.KernelVersion)
                    """)
            }
        }
        if let failure {
            Out.err(failure)
            throw ExitCode(1)
        }
    }
}

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
            let c = ["Version": APIVersion.serverVersion, "ApiVersion": APIVersion.current, "Os": "linux",
                     "Arch": BerthAPI.SystemFacts.version().Arch]
            Out.print(String(decoding: try JSONEncoder().encode(Both(Client: c, Server: server)), as: UTF8.self))
        } else {
            Out.print("""
                Client:
                 Version:           \(APIVersion.serverVersion)
                 API version:       \(APIVersion.current)
                 OS/Arch:           linux/\(SystemFacts.version().Arch)
                """)
            if let s = server {
                Out.print("""

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

/// `berth info`.
struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Display system-wide information.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Format output: json.") var format: String?

    func run() async throws {
        let client = try global.client()
        let r = try await daemon { try await client.send(.GET, "/info") }
        if format == "json" {
            Out.write(String(decoding: r.body, as: UTF8.self))
            return
        }
        let i = try JSONDecoder().decode(SystemInfo.self, from: r.body)
        Out.print("""
            Server:
             Containers: \(i.Containers)
              Running: \(i.ContainersRunning)
              Paused: \(i.ContainersPaused)
              Stopped: \(i.ContainersStopped)
             Images: \(i.Images)
             Server Version: \(i.ServerVersion)
             Storage Driver: \(i.Driver)
             Logging Driver: \(i.LoggingDriver)
             Cgroup Driver: \(i.CgroupDriver)
             Cgroup Version: \(i.CgroupVersion)
             Default Runtime: \(i.DefaultRuntime)
             Kernel Version: \(i.KernelVersion)
             Operating System: \(i.OperatingSystem)
             OSType: \(i.OSType)
             Architecture: \(i.Architecture)
             CPUs: \(i.NCPU)
             Total Memory: \(Human.size(i.MemTotal))
             Name: \(i.Name)
             ID: \(i.ID)
             Berth Root Dir: \(i.DockerRootDir)
            """)
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

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
        Out.print(
            """
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
             Rootless: \(i.Rootless != nil)
            """)
        if let r = i.Rootless {
            let map = { (m: [UserNamespace.Mapping]) in m.map { "\($0.inside):\($0.outside):\($0.count)" }.joined(separator: ", ") }
            Out.print(
                """
                 Rootless Details:
                  UID Map (inside:outside:count): \(map(r.UIDMap))
                  GID Map (inside:outside:count): \(map(r.GIDMap))
                  Storage: \(r.Storage)
                  Network: \(r.Network)
                  Cgroups: \(r.Cgroups)
                """)
        }
        for w in i.Warnings { Out.print(w) }
    }
}

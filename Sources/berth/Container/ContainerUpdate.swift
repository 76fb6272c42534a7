import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth update`: the restart policy and resource limits of existing containers (running ones
/// change at once).
struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Update configuration of one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:N]).") var restart: String?
    @Option(name: [.customShort("m"), .long], help: "Memory limit.") var memory: String?
    @Option(name: .customLong("memory-swap"), help: "Swap limit equal to memory plus swap: -1 for unlimited.") var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit.") var memoryReservation: String?
    @Option(name: .long, help: "Number of CPUs.") var cpus: Double?
    @Option(name: [.customShort("c"), .customLong("cpu-shares")], help: "CPU shares (relative weight).") var cpuShares: Int64?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs in which to allow execution (0-3, 0,1).") var cpusetCpus: String?
    @Option(name: .customLong("pids-limit"), help: "Tune container pids limit (-1 for unlimited).") var pidsLimit: Int64?
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []

    func run() async throws {
        var u = ContainerUpdateRequest(RestartPolicy: nil)
        if let restart {
            let parts = restart.split(separator: ":", maxSplits: 1).map(String.init)
            guard ["no", "always", "unless-stopped", "on-failure"].contains(parts.first ?? ""),
                parts.count == 1 || (parts[0] == "on-failure" && Int(parts[1]) != nil)
            else {
                throw CLIError(message: "invalid restart policy format: \(restart)", code: 125)
            }
            u.RestartPolicy = .init(Name: parts[0], MaximumRetryCount: parts.count > 1 ? Int(parts[1]) : 0)
        }
        u.Memory = try memory.map(CreateOptions.parseBytes)
        if let s = memorySwap { u.MemorySwap = s == "-1" ? -1 : try CreateOptions.parseBytes(s) }
        u.MemoryReservation = try memoryReservation.map(CreateOptions.parseBytes)
        u.NanoCpus = try cpus.map(CreateOptions.nanoCPUs)
        u.CpuShares = cpuShares
        u.CpusetCpus = cpusetCpus
        u.PidsLimit = pidsLimit
        guard u.RestartPolicy != nil || u.changesResources else {
            throw CLIError(message: "you must provide one or more flags when using this command", code: 1)
        }
        let body = try JSONEncoder().encode(u)
        let client = try global.client()
        try await eachContainer(containers, command: "update") { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/update"), body: .data(body))
        }
    }
}

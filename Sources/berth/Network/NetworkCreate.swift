import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth network create`.
struct NetworkCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("d"), .long], help: "Driver to manage the network (bridge).") var driver: String = "bridge"
    @Option(name: .long, help: "Subnet in CIDR format, e.g. 10.90.0.0/24 (and an IPv6 one with --ipv6).") var subnet: [String] = []
    @Option(name: .long, help: "Gateway for the subnet of its address family.") var gateway: [String] = []
    @Flag(name: .long, help: "Enable IPv6 networking.") var ipv6 = false
    @Flag(name: .long, help: "Restrict external access to the network.") var `internal` = false
    @Option(name: .long, help: "Set metadata on a network.") var label: [String] = []
    @Argument(help: "NETWORK") var name: String

    func run() async throws {
        var req = NetworkCreateRequest(Name: name)
        req.Driver = driver
        req.Internal = `internal`
        // Each gateway goes with the subnet of its family (a lone gateway: the IPv4 one).
        var configs: [NetworkResource.IPAMConfig] = subnet.map { s in
            .init(Subnet: s, Gateway: gateway.first { $0.contains(":") == s.contains(":") })
        }
        for g in gateway where !configs.contains(where: { $0.Gateway == g }) { configs.append(.init(Subnet: nil, Gateway: g)) }
        if !configs.isEmpty { req.IPAM = .init(Config: configs) }
        if ipv6 { req.EnableIPv6 = true }
        if !label.isEmpty { req.Labels = CreateOptions.pairs(label, separator: "=") }
        let client = try global.client()
        let r = try await daemon { try await client.send(.POST, "/networks/create", body: .data(try JSONEncoder().encode(req))) }
        let created = try JSONDecoder().decode(NetworkCreateResponse.self, from: r.body)
        if !created.Warning.isEmpty { Out.err("WARNING: " + created.Warning) }
        Out.print(created.Id)
    }
}

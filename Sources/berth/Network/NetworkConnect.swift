import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth network connect`.
struct NetworkConnect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "connect", abstract: "Connect a container to a network.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Add network-scoped alias for the container.") var alias: [String] = []
    @Option(name: .long, help: "IPv4 address (e.g., 172.30.100.104).") var ip: String?
    @Argument(help: "NETWORK") var network: String
    @Argument(help: "CONTAINER") var container: String

    func run() async throws {
        let req = NetworkConnectRequest(
            Container: container,
            EndpointConfig: .init(Aliases: alias.isEmpty ? nil : alias, IPAMConfig: ip.map { .init(IPv4Address: $0) }))
        let client = try global.client()
        _ = try await daemon { try await client.send(.POST, client.path("/networks", network, "/connect"), body: .data(try JSONEncoder().encode(req))) }
    }
}

/// `berth network disconnect`.
struct NetworkDisconnect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disconnect", abstract: "Disconnect a container from a network.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Force the container to disconnect from a network.") var force = false
    @Argument(help: "NETWORK") var network: String
    @Argument(help: "CONTAINER") var container: String

    func run() async throws {
        let body = try JSONEncoder().encode(NetworkDisconnectRequest(Container: container, Force: force))
        let client = try global.client()
        _ = try await daemon { try await client.send(.POST, client.path("/networks", network, "/disconnect"), body: .data(body)) }
    }
}

import ArgumentParser

/// `berth network …`.
struct NetworkGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Manage networks.",
        subcommands: [
            NetworkLs.self, NetworkCreate.self, NetworkInspect.self, NetworkRm.self, NetworkPrune.self, NetworkConnect.self,
            NetworkDisconnect.self,
        ])
}

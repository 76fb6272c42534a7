import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import Foundation

/// `compose down`: exactly the project's containers, its networks, and with `-v` its volumes.
struct ComposeDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop and remove containers, networks.")
    @OptionGroup var opts: ComposeOptionsGroup
    @Flag(name: .shortAndLong, help: "Remove named volumes declared in the volumes section and anonymous volumes.") var volumes = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file.") var removeOrphans = false
    @Option(name: .long, help: "Remove images used by services: local (built ones) or all.") var rmi: String?
    @Option(name: .shortAndLong, help: "Shutdown timeout in seconds.") var timeout: Int?

    func validate() throws {
        if let rmi, !["local", "all"].contains(rmi) { throw ValidationError("--rmi takes local or all") }
    }

    func run() async throws {
        // Without files (already deleted), `-p` still names what to take down.
        let p = try? opts.project()
        let name = try p?.name ?? opts.projectName(orLoad: false)
        let engine = ComposeEngine(client: try opts.global.client(), project: name)
        let known = Set(p?.services.map(\.name) ?? [])
        let members = try await engine.members()
        // Dependents stop first: the reverse of the start order.
        let order = (try? p?.startOrder().flatMap { $0 }.map(\.name)) ?? nil
        let rank = Dictionary(uniqueKeysWithValues: (order ?? []).enumerated().map { ($1, $0) })
        let sorted = members.sorted { (rank[$0.service] ?? -1) > (rank[$1.service] ?? -1) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for m in sorted where p == nil || known.contains(m.service) || removeOrphans || m.oneoff {
                group.addTask {
                    if m.state == "running" { try await engine.stop(m, timeout: timeout) }
                    try await engine.remove(m, volumes: volumes)
                }
            }
            try await group.waitForAll()
        }
        // The project's networks, found by label (also ones of services since removed).
        let q = try engine.filters(["\(ComposePlan.projectLabel)=\(name)"])
        let nets = try JSONSerialization.jsonObject(with: try await engine.client.send(.GET, "/networks", query: [q]).body) as? [[String: Any]] ?? []
        for n in nets {
            guard let netName = n["Name"] as? String else { continue }
            _ = try await engine.client.send(.DELETE, engine.client.path("/networks", netName))
            Out.err(" Network \(netName)  Removed")
        }
        if volumes {
            let r = try await engine.client.send(.GET, "/volumes", query: [q])
            let list = (try JSONSerialization.jsonObject(with: r.body) as? [String: Any])?["Volumes"] as? [[String: Any]] ?? []
            for v in list {
                guard let vName = v["Name"] as? String else { continue }
                _ = try await engine.client.send(.DELETE, engine.client.path("/volumes", vName))
                Out.err(" Volume \(vName)  Removed")
            }
        }
        if let rmi, let p {
            for s in p.services where rmi == "all" || s.image == nil {
                let image = ComposePlan.image(p, s)
                if (try? await engine.client.send(.DELETE, engine.client.path("/images", image))) != nil { Out.err(" Image \(image)  Removed") }
            }
        }
    }
}

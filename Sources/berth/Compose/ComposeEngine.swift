import BerthAPI
import BerthCompose
import BerthCore
import Foundation

/// What the compose commands ask berthd: the project's containers by label, its networks and
/// volumes, images, and the containers' lifecycle.
struct ComposeEngine {
    let client: APIClient
    let project: String

    struct Member {
        var id: String
        var name: String
        var service: String
        var number: Int
        var state: String
        var hash: String
        var oneoff: Bool
    }

    func filters(_ labels: [String]) throws -> (String, String) {
        ("filters", try filtersJSON(labels.map { "label=" + $0 }))
    }

    /// The project's containers (all states), by service then number.
    func members(service: String? = nil) async throws -> [Member] {
        var labels = ["\(ComposePlan.projectLabel)=\(project)"]
        if let service { labels.append("\(ComposePlan.serviceLabel)=\(service)") }
        let r = try await client.send(.GET, "/containers/json", query: [("all", "1"), try filters(labels)])
        return try JSONDecoder().decode([ContainerSummary].self, from: r.body).map { c in
            Member(
                id: c.Id, name: c.Names.first.map { String($0.drop { $0 == "/" }) } ?? c.Id,
                service: c.Labels[ComposePlan.serviceLabel] ?? "", number: Int(c.Labels[ComposePlan.numberLabel] ?? "") ?? 0,
                state: c.State, hash: c.Labels[ComposePlan.hashLabel] ?? "", oneoff: c.Labels[ComposePlan.oneoffLabel] == "True")
        }.sorted { ($0.service, $0.number) < ($1.service, $1.number) }
    }

    func exists(_ path: String) async throws -> Bool {
        do {
            _ = try await client.send(.GET, path)
            return true
        } catch let e as BerthError where e.code == .notFound {
            return false
        }
    }

    func ensureNetwork(_ key: String, _ n: ComposeNetwork) async throws {
        if try await exists(client.path("/networks", n.name)) { return }
        guard !n.external else { throw CLIError(message: "network \(n.name) declared as external, but could not be found", code: 1) }
        var body: [String: Any] = [
            "Name": n.name, "CheckDuplicate": true, "Internal": n.isInternal,
            "Labels": n.labels.merging([ComposePlan.projectLabel: project, ComposePlan.networkLabel: key, ComposePlan.versionLabel: ComposePlan.version]) { a, _ in a },
        ]
        if let d = n.driver { body["Driver"] = d }
        if let s = n.subnet { body["IPAM"] = ["Config": [["Subnet": s]]] }
        _ = try await client.send(.POST, "/networks/create", body: .data(try JSONSerialization.data(withJSONObject: body)))
        Out.err(" Network \(n.name)  Created")
    }

    func ensureVolume(_ key: String, _ v: ComposeVolume) async throws {
        if try await exists(client.path("/volumes", v.name)) { return }
        guard !v.external else { throw CLIError(message: "external volume \"\(v.name)\" not found", code: 1) }
        let body: [String: Any] = [
            "Name": v.name,
            "Labels": v.labels.merging([ComposePlan.projectLabel: project, ComposePlan.volumeLabel: key, ComposePlan.versionLabel: ComposePlan.version]) { a, _ in a },
        ]
        _ = try await client.send(.POST, "/volumes/create", body: .data(try JSONSerialization.data(withJSONObject: body)))
        Out.err(" Volume \(v.name)  Created")
    }

    /// Pulls the image when berthd lacks it (or always, with `always`).
    func ensureImage(_ image: String, always: Bool = false) async throws {
        if !always, try await exists(client.path("/images", image, "/json")) { return }
        Out.err(" Pulling \(image)")
        try await Pull.pull(client, image, quiet: true, printName: false, to: Out.err)
    }

    func create(_ p: ComposeProject, _ s: ComposeService, number: Int) async throws -> String {
        try await create(p, s, request: try ComposePlan.request(p, s, number: number), name: ComposePlan.containerName(p, s, number))
    }

    /// `req` created as `name`, joined to the service's other networks.
    func create(_ p: ComposeProject, _ s: ComposeService, request req: ContainerCreateRequest, name: String) async throws -> String {
        let r = try await client.send(.POST, "/containers/create", query: [("name", name)], body: .data(try JSONEncoder().encode(req)))
        let id = try JSONDecoder().decode(ContainerCreateResponse.self, from: r.body).Id
        // Networks after the first: connected before the start, as Compose does.
        for key in s.networks.keys.sorted().dropFirst() where s.networkMode == nil {
            guard let net = p.networks[key] else { continue }
            let ep = ComposePlan.endpoint(s, key)
            let body: [String: Any] = [
                "Container": id,
                "EndpointConfig": ["Aliases": ep.Aliases ?? [], "IPAMConfig": ep.IPAMConfig.map { ["IPv4Address": $0.IPv4Address ?? ""] } ?? [:]],
            ]
            _ = try await client.send(.POST, client.path("/networks", net.name, "/connect"), body: .data(try JSONSerialization.data(withJSONObject: body)))
        }
        Out.err(" Container \(name)  Created")
        return id
    }

    func start(_ id: String, _ name: String) async throws {
        _ = try await client.send(.POST, client.path("/containers", id, "/start"))
        Out.err(" Container \(name)  Started")
    }

    func remove(_ m: Member, volumes: Bool = false) async throws {
        _ = try await client.send(.DELETE, client.path("/containers", m.id), query: [("force", "1")] + (volumes ? [("v", "1")] : []))
        Out.err(" Container \(m.name)  Removed")
    }

    func stop(_ m: Member, timeout: Int? = nil) async throws {
        _ = try await client.send(.POST, client.path("/containers", m.id, "/stop"), query: timeout.map { [("t", String($0))] } ?? [])
        Out.err(" Container \(m.name)  Stopped")
    }

    /// A container's state and health from inspect.
    func state(_ id: String) async throws -> (status: String, health: String?, exitCode: Int) {
        let r = try await client.send(.GET, client.path("/containers", id, "/json"))
        let state = ((try JSONSerialization.jsonObject(with: r.body)) as? [String: Any])?["State"] as? [String: Any] ?? [:]
        let health = (state["Health"] as? [String: Any])?["Status"] as? String
        return (state["Status"] as? String ?? "", health, (state["ExitCode"] as? Int) ?? 0)
    }

    /// Waits until the service's containers meet a depends_on condition (or fails naming why).
    func wait(for service: String, condition: String, timeout: Double = 300) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let ms = try await members(service: service).filter { !$0.oneoff }
            var met = !ms.isEmpty
            for m in ms {
                let s = try await state(m.id)
                switch condition {
                case "service_healthy":
                    if s.health == "unhealthy" { throw CLIError(message: "dependency failed to start: container \(m.name) is unhealthy", code: 1) }
                    if s.health == nil && s.status != "running" || s.status == "exited" {
                        throw CLIError(message: "dependency failed to start: container \(m.name) is \(s.status)", code: 1)
                    }
                    met = met && s.health == "healthy"
                case "service_completed_successfully":
                    if s.status == "exited" && s.exitCode != 0 {
                        throw CLIError(message: "service \"\(service)\" didn't complete successfully: exit \(s.exitCode)", code: 1)
                    }
                    met = met && s.status == "exited"
                default:
                    met = met && (s.status == "running" || s.status == "exited")
                }
            }
            if met { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw CLIError(message: "timed out waiting for \(service) (\(condition))", code: 1)
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthKube
import Foundation

/// `berth kube play FILE`: Pods and Deployments run on berth; everything is validated before
/// anything is made, and what was made is taken back if a later step fails.
struct KubePlayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "play", abstract: "Run the Pods and Deployments of a Kubernetes YAML file.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "FILE") var file: String

    func run() async throws {
        let path = KubeFiles.absolute(file)
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError(message: "cannot read \(file)", code: 125) }
        let plan: KubePlan
        do { plan = try KubePlan(yaml: String(decoding: data, as: UTF8.self), file: path) } catch let e as BerthError {
            throw CLIError(message: "Error: " + e.message, code: 125)
        }
        for w in plan.warnings { Out.err("WARN: " + w) }
        let client = try global.client()
        var made: [String] = []
        var madeVolumes: [String] = []
        do {
            for pod in plan.pods {
                for (vol, labels) in pod.volumes {
                    if (try? await client.send(.GET, client.path("/volumes", vol))) == nil {
                        let body = try JSONSerialization.data(withJSONObject: ["Name": vol, "Labels": labels])
                        _ = try await client.send(.POST, "/volumes/create", body: .data(body))
                        madeVolumes.append(vol)
                    }
                }
                for c in pod.containers {
                    let image = c.request.Image ?? ""
                    if (try? await client.send(.GET, client.path("/images", image, "/json"))) == nil {
                        try await Pull.pull(client, image, quiet: true, printName: false, to: Out.err)
                    }
                }
                // configMap and secret volumes hold their files before any container starts.
                for f in pod.fills {
                    try await KubeFill.fill(
                        client, f, image: pod.containers[0].request.Image ?? "",
                        labels: [KubePlan.podLabel: pod.name, KubePlan.fileLabel: path])
                }
                for c in pod.containers {
                    let r = try await client.send(.POST, "/containers/create", query: [("name", c.name)], body: .data(try JSONEncoder().encode(c.request)))
                    let id = try JSONDecoder().decode(ContainerCreateResponse.self, from: r.body).Id
                    made.append(id)
                    _ = try await client.send(.POST, client.path("/containers", id, "/start"))
                }
                Out.print("Pod " + pod.name + ": " + pod.containers.map(\.name).joined(separator: ", "))
            }
        } catch {
            // Undo: nothing of a half-played file stays.
            for id in made.reversed() { _ = try? await client.send(.DELETE, client.path("/containers", id), query: [("force", "1")]) }
            for v in madeVolumes { _ = try? await client.send(.DELETE, client.path("/volumes", v)) }
            throw CLIError(message: "Error: " + BerthError.from(error).message + " (what was created is removed again)", code: 125)
        }
    }
}

/// `berth kube down FILE`: exactly what `play FILE` made (its containers, its pods' emptyDir
/// volumes); claims' volumes are kept, as data.
struct KubeDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Remove what kube play made from a file.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "FILE") var file: String

    func run() async throws {
        let path = KubeFiles.absolute(file)
        let client = try global.client()
        let label = "\(KubePlan.fileLabel)=\(path)"
        let filters = try filtersJSON(["label=" + label])
        let r = try await client.send(.GET, "/containers/json", query: [("all", "1"), ("filters", filters)])
        let list = try JSONDecoder().decode([ContainerSummary].self, from: r.body)
        // Joined containers first, then the ones holding the pods' namespaces.
        let ordered = list.sorted { ($0.HostConfig?.NetworkMode ?? "").hasPrefix("container:") && !($1.HostConfig?.NetworkMode ?? "").hasPrefix("container:") }
        for c in ordered {
            _ = try await client.send(.DELETE, client.path("/containers", c.Id), query: [("force", "1")])
            Out.print("Removed " + (c.Names.first.map { String($0.dropFirst()) } ?? c.Id))
        }
        let vf = try filtersJSON(["label=" + label, "label=" + KubePlan.podLabel])
        let v = try await client.send(.GET, "/volumes", query: [("filters", vf)])
        for vol in (try JSONSerialization.jsonObject(with: v.body) as? [String: Any])?["Volumes"] as? [[String: Any]] ?? [] {
            if let n = vol["Name"] as? String { _ = try await client.send(.DELETE, client.path("/volumes", n)) }
        }
    }
}

enum KubeFiles {
    static func absolute(_ p: String) -> String {
        ((p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p) as NSString).standardizingPath
    }
}

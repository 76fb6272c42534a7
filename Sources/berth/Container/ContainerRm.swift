import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth rm`.
struct Rm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL).") var force = false
    @Flag(name: .shortAndLong, help: "Remove anonymous volumes associated with the container.") var volumes = false
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        if containers.count > 1 {
            // Many at once: one batched request (see ContainerService.removeMany).
            let body = try JSONEncoder().encode(BatchRemoveRequest(Refs: containers, Force: force, Volumes: volumes))
            let r = try await daemon { try await client.send(.POST, "/berth/containers/remove", body: .data(body)) }
            var out = "", failed = false
            for o in try JSONDecoder().decode([RemoveOutcome].self, from: r.body) {
                if let e = o.Error { Out.err("Error response from daemon: " + e); failed = true } else { out += o.Ref + "\n" }
            }
            Out.write(out)
            if failed { throw ExitCode(1) }
            return
        }
        try await eachContainer(containers, command: "rm") { n in
            var q: [(String, String)] = []
            if force { q.append(("force", "1")) }
            if volumes { q.append(("v", "1")) }
            _ = try await client.send(.DELETE, client.path("/containers", n), query: q)
        }
    }
}

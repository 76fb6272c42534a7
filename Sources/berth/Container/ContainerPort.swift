import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// `berth port`: the published ports, from the database.
struct Port: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List port mappings or a specific mapping for the container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER", completion: Completions.containers) var container: String
    @Argument(help: "PRIVATE_PORT[/PROTO]") var port: String?

    func run() async throws {
        let store = try global.store()
        let (c, rows) = try store.read { db -> (ContainerRecord, [PortMapping]) in
            let c = try ContainerQueries.resolve(db, container)
            return (c, try ContainerQueries.publishedPorts(db, id: c.id))
        }
        var wanted: (Int, String)?
        if let port {
            let parts = port.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let n = Int(parts[0]), (1...65535).contains(n) else { throw CLIError(message: "Error: invalid port \(port)") }
            wanted = (n, parts.count > 1 ? parts[1] : "tcp")
        }
        var lines: [String] = []
        for r in rows {
            let cp = r.containerPort, proto = r.proto, ip = r.hostIP ?? "", hp = r.hostPort ?? 0
            // Docker joins host and port as Go's net.JoinHostPort: `[::1]:8080`.
            let host = (ip.isEmpty ? "0.0.0.0" : ip.contains(":") ? "[\(ip)]" : ip) + ":" + String(hp)
            if let (n, p) = wanted {
                if n == cp && p == proto { lines.append(host) }
            } else {
                lines.append("\(cp)/\(proto) -> \(host)")
            }
        }
        if let (n, p) = wanted, lines.isEmpty {
            throw CLIError(message: "Error: No public port '\(n)/\(p)' published for \(c.name)")
        }
        for l in lines { Out.print(l) }
    }
}

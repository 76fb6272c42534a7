import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// Options every command takes (also from BERTH_ROOT, BERTH_RUNROOT, BERTH_HOST).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "berth's root folder (BERTH_ROOT, default /var/lib/berth).")
    var root: String?

    @Option(name: .long, help: "berth's runtime folder (BERTH_RUNROOT, default /run/berth).")
    var runroot: String?

    @Option(name: [.customShort("H"), .long], help: "berthd's socket, unix:///path (BERTH_HOST).")
    var host: String?

    var paths: BerthPaths { BerthPaths.resolve(root: root, runroot: runroot) }

    func socketPath() throws -> String {
        if let h = host ?? ProcessInfo.processInfo.environment["BERTH_HOST"] { return try HostAddress.socketPath(h) }
        return paths.defaultSocket
    }

    /// A client for changes; berthd does every write.
    func client() throws -> APIClient {
        let p = paths
        var hint = "berthd"
        if p.root != BerthPaths.defaultRoot { hint += " --root \(p.root)" }
        if p.runroot != BerthPaths.defaultRunroot { hint += " --runroot \(p.runroot)" }
        let socket = try socketPath()
        if socket != p.defaultSocket { hint += " -H unix://\(socket)" }
        return APIClient(socketPath: socket, startHint: hint)
    }

    /// The database for queries: read-only, answered without berthd.
    func store() throws -> Store { try Store.openForQuery(path: paths.database) }
}

import BerthCore
import Foundation

/// The OCI runtime's command line, with berth's own state directory (`--root`).
public struct Runc: Sendable {
    public let path: String
    /// runc's state directory, under berth's runroot so each berth has its own.
    public let root: String

    public init(path: String = "/usr/bin/runc", root: String) {
        self.path = path
        self.root = root
    }

    /// Arguments conmon passes before the runtime's subcommand.
    public var globalArgs: [String] { ["--root", root] }

    func run(_ args: [String]) throws -> Spawn.Result {
        try Spawn.run(path, globalArgs + args)
    }

    func check(_ what: String, _ r: Spawn.Result) throws {
        guard r.status == 0 else {
            let msg = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw BerthError.internal("runc \(what): \(msg.isEmpty ? "exit status \(r.status)" : msg)")
        }
    }

    public func start(_ id: String) throws { try check("start", run(["start", id])) }

    public func kill(_ id: String, signal: Int32, all: Bool = false) throws {
        try check("kill", run(["kill"] + (all ? ["--all"] : []) + [id, String(signal)]))
    }

    public func pause(_ id: String) throws { try check("pause", run(["pause", id])) }
    public func resume(_ id: String) throws { try check("resume", run(["resume", id])) }

    /// Removes runc's state for `id`; a missing container is not an error (and costs no runc
    /// process: its state folder is looked at first).
    public func delete(_ id: String, force: Bool = false) {
        guard FileManager.default.fileExists(atPath: root + "/" + id) else { return }
        _ = try? run(["delete"] + (force ? ["--force"] : []) + [id])
    }

    /// The pids of every process in the container.
    public func pids(_ id: String) throws -> [Int32] {
        let r = try run(["ps", "--format", "json", id])
        try check("ps", r)
        return (try? JSONDecoder().decode([Int32]?.self, from: Data(r.stdout.utf8))) ?? [] ?? []
    }

    public struct State: Decodable, Sendable {
        public var status: String
        public var pid: Int32?
    }

    /// runc's view of a container, nil when runc does not know it.
    public func state(_ id: String) -> State? {
        guard let r = try? run(["state", id]), r.status == 0 else { return nil }
        return try? JSONDecoder().decode(State.self, from: Data(r.stdout.utf8))
    }
}

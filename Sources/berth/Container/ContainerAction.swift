import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// The one shape of `stop`, `restart`, `kill`, `pause` and `unpause`: POST
/// /containers/{name}/{action} for each name, printing the name or Docker's error.
protocol ContainerAction: AsyncParsableCommand {
    /// The API action and the command's name.
    static var action: String { get }
    var global: GlobalOptions { get }
    var containers: [String] { get }
    /// Query parameters from the command's options.
    var query: [(String, String)] { get }
}

extension ContainerAction {
    var query: [(String, String)] { [] }

    func run() async throws {
        let client = try global.client()
        let q = query
        try await eachContainer(containers, command: Self.action) { n in
            _ = try await client.send(.POST, client.path("/containers", n, "/" + Self.action), query: q)
        }
    }
}

/// Runs `body` for each name, printing the name on success and Docker's error otherwise;
/// exits 1 if any failed.
func eachContainer(_ names: [String], command: String, _ body: (String) async throws -> Void) async throws {
    guard !names.isEmpty else {
        throw CLIError(message: "\"berth \(command)\" requires at least 1 argument.\nSee 'berth \(command) --help'.")
    }
    var failed = false
    for n in names {
        do {
            try await body(n)
            Out.print(n)
        } catch let e as BerthError where e.code == .notModified {
            Out.print(n)
        } catch let e as BerthError where e.code != .unavailable {
            Out.err("Error response from daemon: " + e.message)
            failed = true
        }
    }
    if failed { throw ExitCode(1) }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth run`.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and run a new container from an image.")
    @OptionGroup var options: CreateOptions
    @Flag(name: .shortAndLong, help: "Run container in background and print container ID.") var detach = false

    func run() async throws {
        let client = try options.global.client()
        let id = try await options.create(client)
        if detach {
            try await startOrExit(client, id)
            Out.print(id)
            return
        }
        // Attached as Docker attaches (not by following the log, which a size cap may start
        // afresh faster than a follower reads): every byte the container writes arrives.
        do {
            let keys = try Self.detachKeys(options.detachKeys)
            let code = try await Attached.session(
                client, id: id, tty: options.tty, stdin: options.interactive,
                detachKeys: keys, detachKeysSpec: options.detachKeys,
                sigProxy: options.sigProxy, condition: "next-exit"
            ) {
                try await startOrExit(client, id)
            }
            if let code, code != 0 { throw ExitCode(code) }
        }
    }

    /// Starts; a failure ends berth with Docker's codes (126 not executable, 127 not found).
    func startOrExit(_ client: APIClient, _ id: String) async throws {
        do {
            _ = try await client.send(.POST, client.path("/containers", id, "/start"))
        } catch let e as BerthError where e.code != .unavailable {
            let failure = StartFailure.exitCode(e.message)
            let code: Int32 = failure == 128 ? 125 : failure
            if options.rm { _ = try? await client.send(.DELETE, client.path("/containers", id), query: [("force", "1")]) }
            throw CLIError(message: "berth: Error response from daemon: \(e.message).", code: code)
        }
    }
}

extension Run {
    static func detachKeys(_ spec: String?) throws -> [UInt8] {
        do { return try spec.map(DetachKeys.parse) ?? DetachKeys.defaultKeys } catch {
            throw CLIError(message: "berth: invalid detach keys (\(spec ?? "")): \(BerthError.from(error).message)", code: 125)
        }
    }
}

import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// An error the CLI prints as is, with its exit code.
struct CLIError: Error {
    var message: String
    var code: Int32 = 1
}

/// Runs a daemon call, giving its errors Docker's "Error response from daemon:" prefix.
func daemon<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as BerthError where e.code != .unavailable {
        throw CLIError(message: "Error response from daemon: " + e.message)
    }
}

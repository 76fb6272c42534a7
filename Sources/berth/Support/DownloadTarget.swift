import BerthCore
import Foundation

/// A download written to stdout, or beside `output` and renamed into place once complete, so a
/// failure leaves no half file.
enum DownloadTarget {
    static func write(_ output: String?, what: String, _ body: (Int32) async throws -> Void) async throws {
        guard let output else { return try await body(1) }
        let tmp = output + ".berth-tmp-" + String(getpid())
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIError(message: "failed to \(what): open \(output): \(String(cString: strerror(errno)))") }
        do {
            try await body(fd)
            fsync(fd)
            close(fd)
            guard rename(tmp, output) == 0 else { throw CLIError(message: "failed to \(what): rename: \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
    }
}

import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// An attached session: hijacks the attach (or exec start) stream, then runs `begin` (the
/// start), streams until the output ends and returns the exit code, or nil on detach.
enum Attached {
    static func session(
        _ client: APIClient, id: String, tty: Bool, stdin: Bool, detachKeys: [UInt8],
        detachKeysSpec: String?, sigProxy: Bool, condition: String,
        begin: () async throws -> Void
    ) async throws -> Int32? {
        var q = [("stream", "1"), ("stdout", "1"), ("stderr", "1"), ("stdin", stdin ? "1" : "0")]
        if let detachKeysSpec { q.append(("detachKeys", detachKeysSpec)) }
        let stream = try client.hijack(.POST, client.path("/containers", id, "/attach"), query: q)
        let wait = try client.begin(.POST, client.path("/containers", id, "/wait"), query: [("condition", condition)])
        try await begin()
        let code = try pump(
            client, stream, tty: tty, stdin: stdin, detachKeys: detachKeys,
            resizePath: client.path("/containers", id, "/resize"),
            proxy: sigProxy && !tty ? id : nil)
        guard code else { return nil }
        return (try? JSONDecoder().decode(ContainerWaitResponse.self, from: try wait.body())).map { Int32(truncatingIfNeeded: $0.StatusCode) } ?? 125
    }

    /// Streams until the output ends; false when the user detached.
    static func pump(
        _ client: APIClient, _ stream: APIClient.RawStream, tty: Bool, stdin: Bool, detachKeys: [UInt8],
        resizePath: String, proxy: String?
    ) throws -> Bool {
        let terminal = RawTerminal()
        var resizer: ResizeForwarder?
        if tty {
            if stdin { terminal.enable() }
            resizer = ResizeForwarder(client: client, path: resizePath)
            resizer?.start()
        }
        let proxySignals = proxy.map { SignalProxy(client: client, id: $0) }
        let io = AttachIO(stream, tty: tty, stdin: stdin, detachKeys: detachKeys)
        io.run()
        terminal.restore()
        withExtendedLifetime((resizer, proxySignals)) {}
        return !io.detached
    }
}

import BerthAPI
import BerthCore
import BerthEngine
import Foundation

/// A hijacked attach: client bytes to the container's stdin, its output back.
struct AttachHijack: HijackSession {
    let bridge: AttachBridge
    let onEnd: @Sendable (AttachBridge.End) -> Void
    func received(_ data: Data) { bridge.input(data) }
    func inputEnded() { bridge.inputEnded() }
    func disconnected() { bridge.clientGone() }
    func run(write: (Data) throws -> Void) { onEnd(bridge.pump(write)) }
}

/// A hijacked exec start: runs the process and streams it; a failure to start is written
/// into the stream (the exit code is in GET /exec/{id}/json), as Docker does.
struct ExecHijack: HijackSession {
    let containers: ContainerService
    let session: ExecSession
    let bridge: AttachBridge
    func received(_ data: Data) { bridge.input(data) }
    func inputEnded() { bridge.inputEnded() }
    func disconnected() { bridge.clientGone() }
    func run(write: (Data) throws -> Void) {
        if let message = containers.execRun(session, bridge: bridge, write: write) {
            let text = Data(("OCI runtime exec failed: " + message + "\r\n").utf8)
            try? write(bridge.framed ? AttachBridge.frame(2, text) : text)
        }
    }
}

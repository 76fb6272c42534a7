import BerthAPI
import BerthCore
import BerthRuntime
import Foundation

/// Joins one client (a hijacked API connection) to a container's or exec's stdio through
/// conmon's attach socket: output goes out raw for a TTY, else in Docker's multiplexed frames;
/// input goes to stdin, watched for the detach keys.
// @unchecked: the detach-key scanner is touched only by the one thread that pumps input.
public final class AttachBridge: @unchecked Sendable {
    public let tty: Bool
    /// Whether output goes out in Docker's multiplexed frames: unless a TTY (attach), or unless
    /// the exec start request said `Tty: true` (exec: Docker follows the start, not the create).
    public let framed: Bool
    let stdin: Bool
    let stdout: Bool
    let stderr: Bool
    private var detach: DetachKeys?

    private let cond = NSCondition()
    private var socket: AttachSocket?
    private var pendingInput: [Data] = []
    private var ended = false
    private var inputDone = false
    private var detached = false
    /// Input is written on its own queue: a container that does not read its stdin must not
    /// stall the server's event loop.
    private let inputQueue = DispatchQueue(label: "berth.attach.input")
    /// Called once when the bridge gives up before a socket came (client gone, start failed).
    var onCancel: (@Sendable () -> Void)?

    public enum End: Sendable { case exited, detached, clientGone }

    init(tty: Bool, stdin: Bool, stdout: Bool, stderr: Bool, detachKeys: [UInt8]?, framed: Bool? = nil) {
        self.tty = tty
        self.framed = framed ?? !tty
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.detach = stdin && detachKeys.map { !$0.isEmpty } == true ? DetachKeys(detachKeys!) : nil
    }

    /// Hands the connected socket over (the container is created but not yet running).
    func connect(_ s: AttachSocket) {
        cond.lock()
        if ended {
            cond.unlock()
            s.close()
            return
        }
        socket = s
        let queued = pendingInput
        pendingInput = []
        let closeInput = inputDone
        cond.broadcast()
        cond.unlock()
        guard stdin else { return }
        inputQueue.async {
            for d in queued { try? s.send(d) }
            if closeInput { s.closeWrite() }
        }
    }

    /// Ends a bridge whose socket never came (the start failed, or the client left).
    func cancel() {
        cond.lock()
        let wasEnded = ended
        ended = true
        let s = socket
        cond.broadcast()
        cond.unlock()
        s?.close()
        if !wasEnded { onCancel?() }
    }

    /// Client bytes (called on the server's event loop; never blocks).
    public func input(_ data: Data) {
        guard stdin else { return }
        var pass = data
        var hit = false
        if var keys = detach {
            (pass, hit) = keys.scan(data)
            detach = keys
        }
        let forward = pass
        if hit {
            cond.lock()
            detached = true
            cond.unlock()
            let s = currentSocket()
            inputQueue.async {
                if !forward.isEmpty { try? s?.send(forward) }
                s?.close()
            }
            if s == nil { cancel() }
            return
        }
        guard !forward.isEmpty else { return }
        cond.lock()
        if let s = socket {
            cond.unlock()
            inputQueue.async { try? s.send(forward) }
        } else {
            pendingInput.append(forward)
            cond.unlock()
        }
    }

    /// The client half-closed: stdin ends.
    public func inputEnded() {
        guard stdin else { return }
        cond.lock()
        inputDone = true
        let s = socket
        cond.unlock()
        if let s { inputQueue.async { s.closeWrite() } }
    }

    /// The client went away.
    public func clientGone() {
        cond.lock()
        let s = socket
        cond.unlock()
        if let s { s.close() } else { cancel() }
    }

    private func currentSocket() -> AttachSocket? {
        cond.lock()
        defer { cond.unlock() }
        return socket
    }

    /// Blocks until a socket is connected, then copies output to `write` until the process's
    /// output ends, the client detaches or goes away.
    public func pump(_ write: (Data) throws -> Void) -> End {
        cond.lock()
        while socket == nil && !ended { cond.wait() }
        let s = socket
        cond.unlock()
        guard let s else { return detachedOrGone() }
        while let (stream, data) = s.receive() {
            if stream == .stdout && !stdout { continue }
            if stream == .stderr && !stderr { continue }
            do { try write(framed ? Self.frame(stream == .stderr ? 2 : 1, data) : data) } catch {
                s.close()
                return .clientGone
            }
        }
        return detachedOrGone(exited: true)
    }

    private func detachedOrGone(exited: Bool = false) -> End {
        cond.lock()
        defer { cond.unlock() }
        if detached { return .detached }
        return exited ? .exited : .clientGone
    }

    /// Docker's multiplexed stream: [stream, 0, 0, 0, size (big endian)] then the bytes.
    public static func frame(_ stream: UInt8, _ data: Data) -> Data {
        var out = Data([stream, 0, 0, 0])
        let n = UInt32(data.count)
        out.append(contentsOf: [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)])
        out.append(data)
        return out
    }
}

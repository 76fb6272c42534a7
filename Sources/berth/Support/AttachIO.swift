import BerthAPI
import BerthCore
import Dispatch
import Foundation

/// The terminal side of attach, exec and `run -it`: stdin to the hijacked connection, its
/// output to stdout/stderr (demultiplexed unless it is a TTY), the terminal in raw mode and
/// its size sent on every SIGWINCH.
// @unchecked: the detach scanner belongs to the stdin thread; the flag it sets is under `lock`.
final class AttachIO: @unchecked Sendable {
    let stream: APIClient.RawStream
    let tty: Bool
    let sendStdin: Bool
    private var detach: DetachKeys?
    private let lock = NSLock()
    private var sawDetach = false

    init(_ stream: APIClient.RawStream, tty: Bool, stdin: Bool, detachKeys: [UInt8]) {
        self.stream = stream
        self.tty = tty
        self.sendStdin = stdin
        self.detach = detachKeys.isEmpty ? nil : DetachKeys(detachKeys)
    }

    /// Whether the user typed the detach keys (berthd then ended the stream).
    var detached: Bool {
        lock.lock(); defer { lock.unlock() }
        return sawDetach
    }

    /// Copies both ways until the output ends.
    func run() {
        if sendStdin {
            let fd = stream.fd
            Thread.detachNewThread { [self] in
                var buf = [UInt8](repeating: 0, count: 32 << 10)
                while true {
                    let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    // Only watched here to know why the stream ended; berthd does the detaching.
                    if var keys = detach {
                        let (_, hit) = keys.scan(Data(buf[0..<n]))
                        detach = keys
                        if hit { lock.lock(); sawDetach = true; lock.unlock() }
                    }
                    if (try? buf[0..<n].withUnsafeBytes({ try FileOps.writeAll(fd, $0, what: "stdin") })) == nil { return }
                }
                shutdown(fd, Int32(SHUT_WR))
            }
        }
        var demux = StreamDemux()
        func deliver(_ bytes: ArraySlice<UInt8>) {
            if tty {
                bytes.withUnsafeBytes { try? FileOps.writeAll(1, $0, what: "output") }
            } else {
                demux.feed(bytes)
            }
        }
        if !stream.initial.isEmpty { deliver(stream.initial[...]) }
        var buf = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buf.withUnsafeMutableBytes { read(stream.fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            deliver(buf[0..<n])
        }
    }
}

/// Puts the terminal on fd 0 in raw mode for a TTY session and restores it afterwards.
// @unchecked: enabled and restored by the CLI's main flow only, never concurrently.
final class RawTerminal: @unchecked Sendable {
    private var saved = termios()
    private var active = false

    /// Does nothing when stdin is not a terminal.
    func enable() {
        guard isatty(0) == 1, tcgetattr(0, &saved) == 0 else { return }
        var raw = saved
        // Fully raw, output too: the container's own terminal already turned "\n" into "\r\n".
        cfmakeraw(&raw)
        if tcsetattr(0, TCSANOW, &raw) == 0 { active = true }
    }

    func restore() {
        guard active else { return }
        tcsetattr(0, TCSANOW, &saved)
        active = false
    }

    /// The size of the terminal on stdout (or stdin), if there is one.
    static func size() -> (height: Int, width: Int)? {
        var ws = winsize()
        for fd: Int32 in [1, 0] where ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_row > 0 {
            return (Int(ws.ws_row), Int(ws.ws_col))
        }
        return nil
    }
}

/// Sends the terminal size to berthd now and whenever it changes.
// @unchecked: `source` is set once at start and cancelled at deinit.
final class ResizeForwarder: @unchecked Sendable {
    let client: APIClient
    let path: String
    var source: (any DispatchSourceSignal)?

    init(client: APIClient, path: String) {
        self.client = client
        self.path = path
    }

    func send() {
        guard let (h, w) = RawTerminal.size() else { return }
        let client = self.client, path = self.path
        _ = try? client.begin(.POST, path, query: [("h", String(h)), ("w", String(w))]).body()
    }

    func start() {
        send()
        signal(SIGWINCH, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        s.setEventHandler { [weak self] in self?.send() }
        s.resume()
        source = s
    }
}

/// Docker's --sig-proxy: signals berth gets go to the container.
// @unchecked: `sources` is filled in init and only read afterwards.
final class SignalProxy: @unchecked Sendable {
    var sources: [any DispatchSourceSignal] = []

    init(client: APIClient, id: String) {
        for (sig, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP"), (SIGQUIT, "SIGQUIT")] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                _ = try? client.begin(.POST, client.path("/containers", id, "/kill"), query: [("signal", name)]).body()
            }
            s.resume()
            sources.append(s)
        }
    }
}

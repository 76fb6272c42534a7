import BerthCore
import CBerthSys
import Foundation

/// Watches conmon's exit directory with inotify and reports each container id whose exit
/// file appears. Exits that arrived while nobody watched are found by the caller's scan at start.
// @unchecked: `thread` is set once by start(); the inotify fd is read by that thread only.
public final class ExitWatcher: @unchecked Sendable {
    let dir: String
    let fd: Int32
    let onExit: @Sendable (String) -> Void
    private var thread: Thread?

    public init(dir: String, onExit: @escaping @Sendable (String) -> Void) throws {
        self.dir = dir
        self.onExit = onExit
        try FileOps.makeDirs(dir, mode: 0o700)
        fd = berth_inotify_init()
        guard fd >= 0 else { throw BerthError.posix("inotify_init") }
        guard berth_inotify_watch_dir(fd, dir) >= 0 else {
            close(fd)
            throw BerthError.posix("inotify_add_watch \(dir)")
        }
    }

    /// Starts the watching thread.
    public func start() {
        let t = Thread { [self] in loop() }
        t.name = "berth-exits"
        thread = t
        t.start()
    }

    func loop() {
        var buf = [CChar](repeating: 0, count: 65536)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&pfd, 1, -1)
            if r < 0 { if errno == EINTR { continue }; return }
            let n = buf.withUnsafeMutableBufferPointer { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { continue }
            var off = 0
            while off < n {
                var name: UnsafePointer<CChar>?
                let size = buf.withUnsafeBufferPointer { p in
                    berth_inotify_event(p.baseAddress! + off, Int32(n - off), &name)
                }
                if size <= 0 { break }
                if let name {
                    let s = String(cString: name)
                    if s.count == 64 && Identifier.isHex(s) { onExit(s) }
                }
                off += Int(size)
            }
        }
    }

    /// The exit code conmon wrote for `id`, and the file's change time (the finish time, ns);
    /// nil while the file is missing or incomplete.
    public static func read(dir: String, id: String) -> (code: Int64, time: Int64)? {
        let path = dir + "/" + id
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let code = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        return (code, changeTime(path) ?? Clock.nowNanos())
    }

    /// A file's ctime in nanoseconds, nil if it does not exist.
    public static func changeTime(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }
}

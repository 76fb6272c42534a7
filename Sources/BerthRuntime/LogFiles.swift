import BerthCore
import CBerthSys
import Foundation
import Synchronization

/// The names of a container's log files, and the readers following them.
public enum LogFiles {
    /// Held while berthd shifts the names (`LogRotator`) and while a reader opens them; it
    /// holds the readers following each container's folder, which every shift hands the new
    /// live file.
    static let renames = Mutex<[String: [ObjectIdentifier: Inbox]]>([:])
    public static let live = "ctr.log"
    static let held = "ctr.log.held"
    public static func rotated(_ k: Int) -> String { live + "." + String(k) }

    /// Every log file in `dir`, oldest first, the live one last.
    public static func paths(dir: String) -> [String] {
        var older: [String] = []
        var k = 1
        while FileOps.exists(dir + "/" + rotated(k)) { older.append(dir + "/" + rotated(k)); k += 1 }
        return older.reversed() + [dir + "/" + live]
    }

    /// The extended attribute on a log file that begins with the rest of a line begun in the
    /// file before it: a reader starting there (the one before is gone) skips that rest.
    static let continuesLine = "user.berth.continues-line"

    static func markContinues(_ path: String) { _ = setxattr(path, continuesLine, "1", 1, 0) }

    static func continues(_ fd: Int32) -> Bool { fgetxattr(fd, continuesLine, nil, 0) > 0 }

    /// Whether the last record of the file at `path` is partial (flag `P`).
    static func endsMidLine(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 1 else { return false }
        // conmon's records are at most ~8 KB; the last one starts after the newline before the end.
        let span = min(Int(st.st_size), 16384)
        var buf = [UInt8](repeating: 0, count: span)
        let n = pread(fd, &buf, span, off_t(st.st_size) - off_t(span))
        guard n == span, buf[n - 1] == 0x0a else { return false }
        let start = buf[0..<(n - 1)].lastIndex(of: 0x0a).map { $0 + 1 } ?? 0
        return LogReader.flag(buf[start..<(n - 1)]) == UInt8(ascii: "P")
    }

    /// Files a rotation opened for one reader, in order, not yet taken: at most
    /// `LogReader.maxHeldAhead` (a reader that stopped reading, its client stalled, must not
    /// keep every rotated-away file on the disk); the oldest go first, and the reader is told.
    final class Inbox: Sendable {
        private struct State {
            var fds: [Int32] = []
            var dropped = false
        }
        private let state = Mutex(State())

        /// Opens `path` (the live file just linked) for the reader; called under `renames`.
        func offer(_ path: String) {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            state.withLock { s in
                s.fds.append(fd)
                if s.fds.count > LogReader.maxHeldAhead {
                    close(s.fds.removeFirst())
                    s.dropped = true
                }
            }
        }

        /// The files offered since the last call, oldest first (the caller owns them), and
        /// whether older ones were dropped before them.
        func take() -> (fds: [Int32], dropped: Bool) {
            state.withLock { s in
                defer { s = State() }
                return (s.fds, s.dropped)
            }
        }

        deinit { for fd in take().fds { close(fd) } }
    }
}

import BerthCore
import CBerthSys
import Foundation
import Synchronization

/// Docker's `--log-opt max-file=N` on top of conmon's cap: conmon starts `ctr.log` afresh at
/// max-size by renaming a new file over it; berthd holds a hard link to the live file
/// (`ctr.log.held`), so the old content survives the rename, and on inotify's word (one
/// watcher thread for every container) turns it into `ctr.log.1`, shifting older files up to
/// `ctr.log.(N-1)`. A reader opens them oldest first (`LogFiles.paths`).
public final class LogRotator: Sendable {
    private struct Watch { var id: String; var dir: String; var maxFiles: Int }
    private let fd: Int32
    private let watches = Mutex<[Int32: Watch]>([:])

    public init() throws {
        fd = berth_inotify_init()
        guard fd >= 0 else { throw BerthError.posix("inotify_init") }
        let t = Thread { [self] in loop() }
        t.name = "berth-logs"
        t.start()
    }

    /// Starts rotating `dir/ctr.log` into `maxFiles - 1` older files.
    public func watch(id: String, dir: String, maxFiles: Int) {
        guard maxFiles > 1 else { return }
        let held = dir + "/" + LogFiles.held
        // Whatever happened while nobody watched is rotated first.
        Self.rotate(dir: dir, maxFiles: maxFiles)
        if !FileOps.exists(held) { link(dir + "/" + LogFiles.live, held) }
        let wd = berth_inotify_watch_moves(fd, dir)
        guard wd >= 0 else { return }
        watches.withLock { $0[wd] = Watch(id: id, dir: dir, maxFiles: maxFiles) }
    }

    /// Stops watching (the run ended); a last rotation check first.
    public func unwatch(id: String) {
        let gone = watches.withLock { w -> [(Int32, Watch)] in
            let found = w.filter { $0.value.id == id }.map { ($0.key, $0.value) }
            for (wd, _) in found { w[wd] = nil }
            return found
        }
        for (wd, w) in gone {
            berth_inotify_unwatch(fd, wd)
            Self.rotate(dir: w.dir, maxFiles: w.maxFiles)
        }
    }

    func loop() {
        var buf = [CChar](repeating: 0, count: 65536)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, -1) < 0 { if errno == EINTR { continue }; return }
            let n = buf.withUnsafeMutableBufferPointer { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { continue }
            var off = 0
            while off < n {
                var name: UnsafePointer<CChar>?
                var wd: Int32 = -1
                let size = buf.withUnsafeBufferPointer { p in berth_inotify_event_wd(p.baseAddress! + off, Int32(n - off), &name, &wd) }
                if size <= 0 { break }
                off += Int(size)
                guard let name, String(cString: name) == LogFiles.live,
                    let w = watches.withLock({ $0[wd] })
                else { continue }
                // Each event is one new file from conmon. One that finds nothing to rotate came
                // after a second rename that was quicker than this thread: the file between went
                // with it, unread. Said where it was, at the end of the file before it.
                if !Self.rotate(dir: w.dir, maxFiles: w.maxFiles) {
                    Self.markLost(w.dir + "/" + LogFiles.rotated(1))
                }
            }
        }
    }

    /// Appends a record saying lines are missing here (the file is one conmon no longer writes).
    static func markLost(_ path: String) {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let record = Clock.rfc3339Nano(Clock.nowNanos(), trimZeros: false) + " stderr F " + LogReader.rotatedMarker
        _ = record.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
    }

    /// If the live file is no longer the held one, the held one becomes `ctr.log.1`; false
    /// when there was nothing to rotate.
    @discardableResult
    static func rotate(dir: String, maxFiles: Int) -> Bool {
        let live = dir + "/" + LogFiles.live, held = dir + "/" + LogFiles.held
        // Readers walking the names (LogReader) see them before or after the shift, never halfway.
        return LogFiles.renames.withLock { _ in
            var a = stat(), b = stat()
            guard stat(held, &a) == 0, stat(live, &b) == 0, a.st_ino != b.st_ino || a.st_dev != b.st_dev else { return false }
            unlink(dir + "/" + LogFiles.rotated(maxFiles - 1))
            if maxFiles > 2 {
                for k in stride(from: maxFiles - 2, through: 1, by: -1) {
                    rename(dir + "/" + LogFiles.rotated(k), dir + "/" + LogFiles.rotated(k + 1))
                }
            }
            rename(held, dir + "/" + LogFiles.rotated(1))
            link(live, held)
            return true
        }
    }
}

/// The names of a container's log files.
public enum LogFiles {
    /// Held while berthd shifts the names, and while a reader walks them.
    static let renames = Mutex(())
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
}

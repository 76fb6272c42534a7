import BerthCore
import CBerthSys
import Foundation
import Synchronization

/// Docker's `--log-opt max-size=S --log-opt max-file=N`. berthd decides when `ctr.log` is
/// full: inotify says it was written (one watcher thread for every container), and at S bytes
/// berthd asks conmon to start a fresh file (its control FIFO's "reopen logs"). conmon renames
/// a new file over `ctr.log`; berthd holds a hard link to the live file (`ctr.log.held`), so
/// the old content survives the rename, and on inotify's word turns it into `ctr.log.1`,
/// shifting older files up to `ctr.log.(N-1)`. A reader opens them oldest first
/// (`LogFiles.paths`).
///
/// Why berthd asks rather than conmon's own `--log-size-max`: conmon would start files as fast
/// as a writer fills them, and a file started and replaced between two looks of this thread
/// went unkept. berthd asks for the next file only once it holds the last one, so none is lost
/// (`LogOptions.conmonCap` says what that costs while berthd is down).
public final class LogRotator: Sendable {
    private struct Watch {
        var id: String
        var dir: String
        var maxFiles: Int
        var maxSize: Int64
        /// When berthd last asked conmon for a fresh file that has not appeared yet.
        var asked: UInt64?
    }
    private let fd: Int32
    private let watches = Mutex<[Int32: Watch]>([:])

    public init() throws {
        fd = berth_inotify_init()
        guard fd >= 0 else { throw BerthError.posix("inotify_init") }
        let t = Thread { [self] in loop() }
        t.name = "berth-logs"
        t.start()
    }

    /// Starts rotating `dir/ctr.log` at `maxSize` bytes into `maxFiles - 1` older files; `dir`
    /// is the bundle conmon's control FIFO is in.
    public func watch(id: String, dir: String, maxFiles: Int, maxSize: Int64) {
        guard maxFiles > 1, maxSize > 0 else { return }
        let held = dir + "/" + LogFiles.held
        // Whatever happened while nobody watched is rotated first.
        Self.rotate(dir: dir, maxFiles: maxFiles)
        if !FileOps.exists(held) { link(dir + "/" + LogFiles.live, held) }
        let wd = berth_inotify_watch_logs(fd, dir)
        guard wd >= 0 else { return }
        watches.withLock { $0[wd] = Watch(id: id, dir: dir, maxFiles: maxFiles, maxSize: maxSize) }
        // A file already full (written while berthd was down) is started afresh now.
        written(wd)
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
            var grown = Set<Int32>()
            while off < n {
                var name: UnsafePointer<CChar>?
                var wd: Int32 = -1
                var write: Int32 = 0
                let size = buf.withUnsafeBufferPointer { p in
                    berth_inotify_event_wd(p.baseAddress! + off, Int32(n - off), &name, &wd, &write)
                }
                if size <= 0 { break }
                off += Int(size)
                guard let name, String(cString: name) == LogFiles.live else { continue }
                if write != 0 { grown.insert(wd); continue }
                guard let w = watches.withLock({ $0[wd] }) else { continue }
                // Each move is one new file from conmon. One that finds nothing to rotate came
                // after a second rename that was quicker than this thread (a container started
                // by an older berthd, which left the cap to conmon): the file between went with
                // it, unread. Said where it was, at the end of the file before it.
                if !Self.rotate(dir: w.dir, maxFiles: w.maxFiles) {
                    Self.markLost(w.dir + "/" + LogFiles.rotated(1))
                }
                watches.withLock { $0[wd]?.asked = nil }
                grown.insert(wd)
            }
            for wd in grown { written(wd) }
            // Writes in the next moment come as one event per file (inotify merges repeats
            // not yet read): a fast writer costs this thread a stat per file per millisecond,
            // not one per write.
            if !grown.isEmpty { usleep(1000) }
        }
    }

    /// A watched log was written: asks conmon for a fresh file once it is full. Asked again if
    /// the last ask brought no file within a second (conmon reads its FIFO when it can). The
    /// ask is claimed under the lock first: `watch` (a start or recovery) and this thread may
    /// both look at once, and two asks would make two files, the first replaced unkept.
    private func written(_ wd: Int32) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard let w = watches.withLock({ $0[wd] }), w.asked.map({ now &- $0 >= 1_000_000_000 }) ?? true else { return }
        var st = stat()
        guard stat(w.dir + "/" + LogFiles.live, &st) == 0, Int64(st.st_size) >= w.maxSize else { return }
        let claimed = watches.withLock { m -> Bool in
            // The time read under the lock: never before an ask another look claimed.
            let t = DispatchTime.now().uptimeNanoseconds
            guard let asked = m[wd].map({ $0.asked }) else { return false }
            if let asked, t - asked < 1_000_000_000 { return false }
            m[wd]?.asked = t
            return true
        }
        guard claimed else { return }
        if !Conmon.reopenLogs(bundle: w.dir) { watches.withLock { $0[wd]?.asked = nil } }
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
        // Readers opening the names (LogReader) see them before or after the shift, never
        // halfway; each one following this log is handed the new live file here.
        return LogFiles.renames.withLock { followers in
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
            // berthd's ask lands between two reads of the container's output, often mid-line:
            // the new file then begins with the rest of a line (`LogFiles.continuesLine`).
            if LogFiles.endsMidLine(dir + "/" + LogFiles.rotated(1)) { LogFiles.markContinues(live) }
            if let readers = followers[dir] { for inbox in readers.values { inbox.offer(live) } }
            return true
        }
    }
}

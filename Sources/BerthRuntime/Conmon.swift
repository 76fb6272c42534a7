import BerthCore
import Foundation

/// Starts containers under conmon, podman's per-container monitor: conmon runs `runc create`,
/// owns the container's stdio and log, and writes its exit code to an exit file even when
/// berthd is gone. Protocol notes: shared/docs/CONMON.md.
public struct Conmon: Sendable {
    public let path: String
    public let runc: Runc

    public init(path: String = "/usr/bin/conmon", runc: Runc) {
        self.path = path
        self.runc = runc
    }

    /// Where one container's conmon keeps its files.
    public struct Files: Sendable {
        public var bundle: String
        public var logPath: String
        public var persistDir: String
        public var exitDir: String
        public var pidFile: String
        public var conmonPidFile: String
        public var socketDir: String
        public var conmonLog: String

        public init(
            bundle: String, logPath: String, persistDir: String, exitDir: String, pidFile: String,
            conmonPidFile: String, socketDir: String, conmonLog: String
        ) {
            self.bundle = bundle
            self.logPath = logPath
            self.persistDir = persistDir
            self.exitDir = exitDir
            self.pidFile = pidFile
            self.conmonPidFile = conmonPidFile
            self.socketDir = socketDir
            self.conmonLog = conmonLog
        }
    }

    public struct Started: Sendable {
        public var containerPid: Int32
        public var conmonPid: Int32
    }

    /// Runs `runc create` through conmon and waits for the container's pid. The container is
    /// created, not started: call `runc.start`. `leaveStdinOpen` keeps the container's stdin
    /// open when an attached client goes away (a TTY's must stay open).
    public func create(
        id: String, name: String, files: Files, terminal: Bool, stdin: Bool,
        leaveStdinOpen: Bool = false, logSizeMax: Int64? = nil, logging: Bool = true, timeout: Int32 = 60
    ) throws -> Started {
        var args = [
            "--api-version", "1", "-c", id, "-u", id, "-n", name, "-r", runc.path, "-b", files.bundle,
            "-p", files.pidFile, "--exit-dir", files.exitDir, "--persist-dir", files.persistDir,
            // `--log-driver none`: conmon's own "none" driver writes nothing (attach still works).
            "-l", logging ? "k8s-file:" + files.logPath : "none:", "--conmon-pidfile", files.conmonPidFile,
            "--socket-dir-path", files.socketDir, "--full-attach", "--log-level", "error",
        ]
        for a in runc.globalArgs { args += ["--runtime-arg", a] }
        if terminal { args.append("-t") }
        if stdin { args.append("-i") }
        if stdin && leaveStdinOpen { args.append("--leave-stdin-open") }
        if let logSizeMax, logSizeMax > 0 { args += ["--log-size-max", String(logSizeMax)] }
        let pipes = try Pipes(count: 2)
        defer { pipes.closeParentEnds() }
        try launch(args, pipes: pipes, conmonLog: files.conmonLog, cwd: files.bundle)
        let message = try Self.readSync(pipes.parent[0], timeoutMs: timeout * 1000)
        guard let data = message["data"] as? Int, data > 0 else {
            let m = (message["message"] as? String) ?? "conmon reported no container pid"
            throw BerthError.internal(Self.cleanRuncMessage(m))
        }
        let conmonPid =
            Int32(
                (try? String(contentsOfFile: files.conmonPidFile, encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        return Started(containerPid: Int32(data), conmonPid: conmonPid)
    }

    /// The socketpairs conmon talks through, in the order of `_OCI_SYNCPIPE`, `_OCI_STARTPIPE`,
    /// `_OCI_ATTACHPIPE`: the child ends become fds 3, 4, 5.
    final class Pipes {
        var parent: [Int32] = []
        var child: [Int32] = []

        init(count: Int) throws {
            let type = Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            for _ in 0..<count {
                var pair: [Int32] = [0, 0]
                guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
                    closeParentEnds(); closeChildEnds()
                    throw BerthError.posix("socketpair")
                }
                parent.append(pair[0])
                child.append(pair[1])
            }
        }

        func closeChildEnds() { child.forEach { close($0) }; child = [] }
        func closeParentEnds() { parent.forEach { close($0) }; parent = [] }
    }

    /// Spawns conmon with the pipes at fds 3…, sends the start byte and reaps the first
    /// process (conmon double-forks; the monitor lives on). It runs in the bundle folder: conmon
    /// writes `oom` (and anything else it may) into its working directory.
    func launch(_ args: [String], pipes: Pipes, conmonLog: String, cwd: String) throws {
        let names = ["_OCI_SYNCPIPE", "_OCI_STARTPIPE", "_OCI_ATTACHPIPE"]
        var env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        var fds: [Int32: Int32] = [:]
        for (i, fd) in pipes.child.enumerated() {
            env.append("\(names[i])=\(3 + i)")
            fds[Int32(3 + i)] = fd
        }
        let logFD = open(conmonLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { if logFD >= 0 { close(logFD) } }
        if logFD >= 0 { fds[1] = logFD; fds[2] = logFD }
        let pid: pid_t
        do {
            pid = try Spawn.start(path, args, env: env, fds: fds, cwd: cwd)
        } catch {
            pipes.closeChildEnds()
            throw error
        }
        pipes.closeChildEnds()
        // The start byte: conmon waits for it (a parent could first move it into a cgroup).
        var one: UInt8 = 0
        _ = write(pipes.parent[1], &one, 1)
        let status = Spawn.wait(pid)
        if status != 0 {
            throw BerthError.internal("conmon exited with status \(status): \(Self.tail(conmonLog))")
        }
    }

    /// Sets a TTY container's (or exec's) window size through conmon's control FIFO.
    public static func resize(bundle: String, height: Int, width: Int) throws {
        let fd = open(bundle + "/ctl", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw BerthError.posix("open \(bundle)/ctl") }
        defer { close(fd) }
        let line = Array("1 \(height) \(width)\n".utf8)
        try line.withUnsafeBytes { try FileOps.writeAll(fd, $0, what: "resize") }
    }

    /// Asks conmon to start its log file afresh (control message 2, "reopen logs"): it renames
    /// a new file over the old one. false when the FIFO is not there or full.
    public static func reopenLogs(bundle: String) -> Bool {
        let fd = open(bundle + "/ctl", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let line = Array("2 0 0\n".utf8)
        return line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == line.count
    }

    /// Reads one JSON message conmon writes on a pipe; `timeoutMs` -1 waits for ever.
    static func readSync(_ fd: Int32, timeoutMs: Int32) throws -> [String: Any] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&pfd, 1, timeoutMs)
            if r < 0 && errno == EINTR { continue }
            if r == 0 { throw BerthError.internal("conmon did not report within \(timeoutMs / 1000)s") }
            break
        }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw BerthError.internal("conmon closed its sync pipe without a word") }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(buf[0..<n])) as? [String: Any] else {
            throw BerthError.internal("conmon sent an unreadable sync message: \(String(decoding: buf[0..<n], as: UTF8.self))")
        }
        return obj
    }

    /// runc's create errors come wrapped in log noise; keep the useful sentence: the last
    /// error line's message (warnings before it, such as a rootless runc's about cgroups it
    /// has not got, are not the error).
    static func cleanRuncMessage(_ m: String) -> String {
        let lines = m.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let errors = lines.filter { $0.contains("level=error") || $0.contains("level=fatal") }
        var s = (errors.last ?? m).trimmingCharacters(in: .whitespacesAndNewlines)
        if let r = s.range(of: "msg=\"") {
            s = String(s[r.upperBound...])
            if let end = s.lastIndex(of: "\"") { s = String(s[..<end]) }
        }
        return s.replacingOccurrences(of: "\\\"", with: "\"")
    }

    static func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: "; ")
    }
}

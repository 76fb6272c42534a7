import BerthCore
import Foundation

extension Conmon {
    /// Where one exec session's conmon keeps its files (a folder of its own: conmon names the
    /// exit file after the container, so it must not share the containers' exit dir).
    public struct ExecFiles: Sendable {
        public var dir: String
        public init(dir: String) { self.dir = dir }
        public var processSpec: String { dir + "/process.json" }
        public var pidFile: String { dir + "/pid" }
        public var exitDir: String { dir + "/exits" }
        public var log: String { dir + "/exec.log" }
        public var conmonLog: String { dir + "/conmon.log" }
    }

    /// A process being started by `runc exec` under conmon.
    // @unchecked: owns conmon's pipes; start and waitExit are called in order by one caller.
    public final class ExecProcess: @unchecked Sendable {
        let pipes: Pipes
        /// The attach socket, connected before the process runs so no output is missed.
        public let attach: AttachSocket?

        init(pipes: Pipes, attach: AttachSocket?) {
            self.pipes = pipes
            self.attach = attach
        }

        deinit { pipes.closeParentEnds() }

        /// Lets `runc exec` go; returns the process's pid, or throws runc's error.
        public func start(timeoutMs: Int32 = 60_000) throws -> Int32 {
            if attach != nil {
                var one: UInt8 = 0
                _ = write(pipes.parent[1], &one, 1)
            }
            let message = try Conmon.readSync(pipes.parent[0], timeoutMs: timeoutMs)
            guard let pid = message["data"] as? Int, pid > 0 else {
                let m = (message["message"] as? String) ?? "exec failed"
                throw BerthError.internal(Conmon.cleanRuncMessage(m))
            }
            return Int32(pid)
        }

        /// Blocks until the process exits; its exit code (conmon reports it on the sync pipe
        /// after the output is drained).
        public func waitExit() -> Int32 {
            waitExit(timeoutMs: -1) ?? 255
        }

        /// The exit code, or nil when none came within the timeout.
        public func waitExit(timeoutMs: Int32) -> Int32? {
            do {
                let message = try Conmon.readSync(pipes.parent[0], timeoutMs: timeoutMs)
                return (message["data"] as? Int).map(Int32.init) ?? 255
            } catch {
                return timeoutMs < 0 ? 255 : nil
            }
        }
    }

    /// Prepares `runc exec` of `files.processSpec` in a running container. With `attach`, the
    /// process waits until `start` so the caller is connected first.
    public func exec(
        containerID: String, execID: String, files: ExecFiles, terminal: Bool, stdin: Bool,
        attach: Bool, timeoutMs: Int32 = 60_000
    ) throws -> ExecProcess {
        try FileOps.makeDirs(files.exitDir, mode: 0o700)
        var args = [
            "--api-version", "1", "-c", containerID, "-u", execID, "-r", runc.path, "-b", files.dir,
            "-p", files.pidFile, "--exit-dir", files.exitDir, "-l", "k8s-file:" + files.log,
            "--socket-dir-path", files.dir, "--full-attach", "--log-level", "error",
            "-e", "--exec-process-spec", files.processSpec,
        ]
        for a in runc.globalArgs { args += ["--runtime-arg", a] }
        if attach { args.append("--exec-attach") }
        if terminal { args.append("-t") }
        if stdin { args.append("-i") }
        // A client that detaches from a TTY must not hang up its terminal (the shell would die).
        if stdin && terminal { args.append("--leave-stdin-open") }
        let pipes = try Pipes(count: attach ? 3 : 2)
        do {
            try launch(args, pipes: pipes, conmonLog: files.conmonLog, cwd: files.dir)
            var socket: AttachSocket?
            if attach {
                // conmon says the socket is listening before it lets runc run.
                let ready = try Self.readSync(pipes.parent[2], timeoutMs: timeoutMs)
                if let m = ready["message"] as? String { throw BerthError.internal(Self.cleanRuncMessage(m)) }
                socket = try AttachSocket.connect(dir: files.dir)
            }
            return ExecProcess(pipes: pipes, attach: socket)
        } catch {
            pipes.closeParentEnds()
            throw error
        }
    }
}

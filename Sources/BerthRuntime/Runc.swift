import BerthCore
import Foundation

/// The OCI runtime's command line, with berth's own state directory (`--root`).
public struct Runc: Sendable {
    public let path: String
    /// runc's state directory, under berth's runroot so each berth has its own.
    public let root: String

    public init(path: String = "/usr/bin/runc", root: String) {
        self.path = path
        self.root = root
    }

    /// Arguments conmon passes before the runtime's subcommand.
    public var globalArgs: [String] { ["--root", root] }

    func run(_ args: [String]) throws -> Spawn.Result {
        try Spawn.run(path, globalArgs + args)
    }

    func check(_ what: String, _ r: Spawn.Result) throws {
        guard r.status == 0 else {
            let msg = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw BerthError.internal("runc \(what): \(msg.isEmpty ? "exit status \(r.status)" : msg)")
        }
    }

    public func start(_ id: String) throws {
        if try startThroughFifo(id) { return }
        try check("start", run(["start", id]))
    }

    /// What `runc start` does, without a runc process (~5 ms): a created container's init waits
    /// to open `exec.fifo` for writing; opening it for reading lets it write one byte and exec
    /// the user's process; then the FIFO goes (runc reads "created" from its presence). False
    /// when there is no FIFO (another runc layout): the caller runs `runc start`.
    func startThroughFifo(_ id: String) throws -> Bool {
        let fifo = root + "/" + id + "/exec.fifo"
        var st = stat()
        guard lstat(fifo, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return false }
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var got = 0
        let deadline = Clock.nowNanos() + 10_000_000_000
        while got == 0 {
            let left = Int32(max(0, (deadline - Clock.nowNanos()) / 1_000_000))
            let r = poll(&pfd, 1, left)
            if r < 0 && errno == EINTR { continue }
            if r == 0 { throw BerthError.internal("runc start: the container's init did not answer") }
            var b = [UInt8](repeating: 0, count: 16)
            let n = read(fd, &b, b.count)
            if n > 0 { got = n; break }
            if n == 0 && pfd.revents & Int16(POLLHUP) != 0 {
                // The writer came and went without a byte: the init died.
                throw BerthError.internal("runc start: the container's init exited before starting")
            }
            if n < 0 && errno != EAGAIN && errno != EINTR { throw BerthError.posix("read \(fifo)") }
            if n == 0 { usleep(200) }
        }
        unlink(fifo)
        return true
    }

    /// `all` signals every process of the container's cgroup. A rootless berthd without cgroups
    /// signals the init only (runc cannot list the rest): killed, it takes its pid namespace with it.
    public func kill(_ id: String, signal: Int32, all: Bool = false) throws {
        try check("kill", run(["kill"] + (all && RootlessHost.cgroups ? ["--all"] : []) + [id, String(signal)]))
    }

    public func pause(_ id: String) throws { try check("pause", run(["pause", id])) }
    /// `runc update` with resource flags (`--memory`, `--cpu-quota`, …) on a running container.
    public func update(_ id: String, _ flags: [String]) throws { try check("update", run(["update"] + flags + [id])) }
    public func resume(_ id: String) throws { try check("resume", run(["resume", id])) }

    /// Removes runc's state for `id`; a missing container is not an error (and costs no runc
    /// process: its state folder is looked at first).
    public func delete(_ id: String, force: Bool = false) {
        guard FileManager.default.fileExists(atPath: root + "/" + id) else { return }
        _ = try? run(["delete"] + (force ? ["--force"] : []) + [id])
    }

    /// The pids of every process in the container.
    public func pids(_ id: String) throws -> [Int32] {
        let r = try run(["ps", "--format", "json", id])
        try check("ps", r)
        return (try? JSONDecoder().decode([Int32]?.self, from: Data(r.stdout.utf8))) ?? [] ?? []
    }

    public struct State: Decodable, Sendable {
        public var status: String
        public var pid: Int32?
    }

    /// runc's view of a container, nil when runc does not know it.
    public func state(_ id: String) -> State? {
        guard let r = try? run(["state", id]), r.status == 0 else { return nil }
        return try? JSONDecoder().decode(State.self, from: Data(r.stdout.utf8))
    }
}

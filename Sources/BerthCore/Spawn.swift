import CBerthSys
import Foundation

/// Starting helper processes (conmon, runc) with exactly the file descriptors we choose, and
/// reading their output without ever blocking on an undrained pipe.
public enum Spawn {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts `path args` with `fds` mapped to the given child descriptor numbers (0, 1, 2 default
    /// to /dev/null), in `cwd` when given (conmon writes files such as `oom` into its working
    /// directory: it must be a folder berth owns). Returns the pid; the caller reaps it.
    public static func start(
        _ path: String, _ args: [String], env: [String]? = nil,
        fds: [Int32: Int32] = [:], cwd: String? = nil
    ) throws -> pid_t {
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        if let cwd { berth_spawn_chdir(&fa, cwd) }
        for target in [Int32(0), 1, 2] where fds[target] == nil {
            posix_spawn_file_actions_addopen(&fa, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Move sources out of the way first, so mapping 4→3 and 3→4 cannot clobber each other.
        var staged: [(Int32, Int32)] = []
        for (target, source) in fds.sorted(by: { $0.key < $1.key }) {
            let tmp = fcntl(source, F_DUPFD_CLOEXEC, 100)
            guard tmp >= 0 else { throw BerthError.posix("dup") }
            staged.append((target, tmp))
        }
        defer { for (_, tmp) in staged { close(tmp) } }
        for (target, tmp) in staged {
            posix_spawn_file_actions_adddup2(&fa, tmp, target)
        }
        // Nothing else crosses over: an inherited client socket, say, would keep a request open
        // for as long as the container lives.
        berth_spawn_closefrom(&fa, max(3, (fds.keys.max() ?? 2) + 1))
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // A fresh signal mask and default dispositions: berthd ignores SIGTERM/SIGINT itself.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = env ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let envp = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &fa, &attr, argv, envp)
        guard rc == 0 else { throw BerthError.internal("cannot run \(path): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Waits for a child; returns its exit status (128+signal when killed).
    @discardableResult
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// Runs a command to completion, draining stdout and stderr together (poll), so a chatty
    /// child can never stall on a full pipe.
    public static func run(
        _ path: String, _ args: [String], env: [String]? = nil,
        stdin: Data? = nil
    ) throws -> Result {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0], inPipe: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&outPipe) == 0, berth_pipe_cloexec(&errPipe) == 0 else { throw BerthError.posix("pipe") }
        var fds: [Int32: Int32] = [1: outPipe[1], 2: errPipe[1]]
        if stdin != nil {
            guard berth_pipe_cloexec(&inPipe) == 0 else { throw BerthError.posix("pipe") }
            fds[0] = inPipe[0]
        }
        let pid: pid_t
        do {
            pid = try start(path, args, env: env, fds: fds)
        } catch {
            for fd in outPipe + errPipe + inPipe where fd >= 0 { close(fd) }
            throw error
        }
        close(outPipe[1]); close(errPipe[1])
        if let stdin {
            close(inPipe[0])
            stdin.withUnsafeBytes { buf in
                var off = 0
                while off < buf.count {
                    let n = write(inPipe[1], buf.baseAddress! + off, buf.count - off)
                    if n <= 0 { if errno == EINTR { continue }; break }
                    off += n
                }
            }
            close(inPipe[1])
        }
        var out = Data(), err = Data()
        var open: [Int32] = [outPipe[0], errPipe[0]]
        var buf = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var pfds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&pfds, nfds_t(pfds.count), -1) < 0 { if errno == EINTR { continue }; break }
            for p in pfds where p.revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if p.fd == outPipe[0] { out.append(contentsOf: buf[0..<n]) } else { err.append(contentsOf: buf[0..<n]) }
                } else if n == 0 || errno != EINTR {
                    close(p.fd)
                    open.removeAll { $0 == p.fd }
                }
            }
        }
        let status = wait(pid)
        return Result(
            status: status, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }
}

import BerthCore
import CBerthSys
import Foundation
import Glibc

/// A rootless berthd's own network namespace, podman's "rootless netns": the bridges, netavark's
/// rules and aardvark-dns live there, where berthd (root in its user namespace) may make them;
/// berthd itself stays in the host's namespace, where it pulls, listens and publishes ports.
/// slirp4netns gives it a way out (tap0, NAT through the user's own sockets).
public final class RootlessNetns: Sendable {
    public let path: String
    /// Open on the namespace for berthd's life: sockets to containers are made in it.
    public let fd: Int32
    let slirpPidFile: String

    public static let slirpBinary = "/usr/bin/slirp4netns"

    /// The namespace at `runroot/rootless-netns`, made if it is not there (or was left as a bare
    /// file), and slirp4netns on it unless one runs already.
    public init(runroot: String, logger: (String) -> Void) throws {
        path = runroot + "/rootless-netns"
        slirpPidFile = runroot + "/slirp4netns.pid"
        if !NetNS.isNamespace(path) {
            NetNS.remove(at: path)
            try NetNS.create(at: path)
        }
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BerthError.posix("open \(path)") }
        do { try startSlirp() } catch { logger("rootless network: no way out for containers: \(BerthError.from(error).message)") }
    }

    deinit { close(fd) }

    /// Whether slirp4netns (the namespace's way out) runs.
    public var slirpRunning: Bool { slirpPid() != nil }

    func slirpPid() -> pid_t? {
        guard let text = try? String(contentsOfFile: slirpPidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
            let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm.hasPrefix("slirp4netns")
        else { return nil }
        return pid
    }

    func startSlirp() throws {
        guard slirpPid() == nil else { return }
        guard access(Self.slirpBinary, X_OK) == 0 else { throw BerthError.invalid("slirp4netns is not installed (apt-get install slirp4netns)") }
        var ready: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&ready) == 0 else { throw BerthError.posix("pipe") }
        defer { close(ready[0]) }
        // --disable-host-loopback: containers never reach the host's 127.0.0.1 through it.
        let pid: pid_t
        do {
            pid = try Spawn.start(
                Self.slirpBinary,
                ["--configure", "--mtu=65520", "--disable-host-loopback", "--ready-fd=3", "--netns-type=path", path, "tap0"],
                fds: [3: ready[1]])
        } catch {
            close(ready[1])
            throw error
        }
        close(ready[1])
        var b: UInt8 = 0
        guard read(ready[0], &b, 1) == 1 else {
            Spawn.wait(pid)
            throw BerthError.internal("slirp4netns exited before it was ready")
        }
        try FileOps.writeAtomically(Data("\(pid)\n".utf8), to: slirpPidFile, durable: false)
    }

    /// A socket in the namespace (to connect to a container's address).
    public func socket(family: Int32, type: Int32) -> Int32? {
        let s = berth_socket_in_netns(fd, family, type)
        return s >= 0 ? s : nil
    }

    /// A /proc/thread-self/net table as the namespace sees it (e.g. "udp").
    public func procNet(_ table: String) -> String? {
        var len = 0
        guard let buf = berth_read_in_netns(fd, "/proc/thread-self/net/" + table, &len) else { return nil }
        defer { free(buf) }
        return String(decoding: UnsafeRawBufferPointer(start: buf, count: len), as: UTF8.self)
    }
}

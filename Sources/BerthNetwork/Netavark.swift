import BerthCore
import CBerthSys
import Foundation

/// Runs netavark (podman's network plumbing) for berth: `setup` creates the bridge, the veth
/// pair, the address and the port forwarding rules; `teardown` with the same options undoes
/// them (and removes the bridge once no container is on it).
public struct Netavark: Sendable {
    public let binary: String
    public let aardvark: String
    /// netavark's `--config`: aardvark's state for DNS-enabled networks, under berth's runroot.
    public let configDir: String
    /// Rootless: the namespace netavark works in (bridges, rules, aardvark), not berthd's own.
    public let rootless: RootlessNetns?
    /// The lock shared with podman's netavark runs (root's), or the user's own when rootless.
    public let lockPath: String

    public static let defaultBinary = "/usr/lib/podman/netavark"
    public static let defaultAardvark = "/usr/lib/podman/aardvark-dns"

    public init(
        configDir: String, binary: String = Netavark.defaultBinary, aardvark: String = Netavark.defaultAardvark,
        rootless: RootlessNetns? = nil
    ) {
        self.binary = binary
        self.aardvark = aardvark
        self.configDir = configDir
        self.rootless = rootless
        lockPath = rootless == nil ? Self.hostLockPath : configDir + "/netavark.lock"
    }

    public var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// What setup reports per network: the interface's addresses and MAC.
    public struct Status: Sendable, Equatable {
        public var mac: String?
    }

    public func setup(netns: String, options: NetavarkOptions) throws -> [String: Status] {
        let out = try run("setup", netns: netns, options: options)
        // {"net": {"interfaces": {"eth0": {"mac_address": "…", "subnets": [...]}}}}
        var status: [String: Status] = [:]
        if let obj = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] {
            for (name, v) in obj {
                let ifaces = (v as? [String: Any])?["interfaces"] as? [String: Any]
                let mac = (ifaces?.values.first as? [String: Any])?["mac_address"] as? String
                status[name] = Status(mac: mac)
            }
        }
        return status
    }

    public func teardown(netns: String, options: NetavarkOptions) throws {
        _ = try run("teardown", netns: netns, options: options)
    }

    func run(_ command: String, netns: String, options: NetavarkOptions) throws -> String {
        guard isInstalled else {
            throw BerthError.invalid("container networking needs netavark (\(binary)): apt-get install netavark aardvark-dns")
        }
        try FileOps.makeDirs(configDir, mode: 0o700)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let input = try enc.encode(options)
        // netavark's iptables chains are shared by every netavark on the host: runs are
        // serialised host-wide, on the lock podman takes for the same reason. A POSIX record
        // lock is the process's, not the thread's: berthd's own concurrent starts are kept
        // apart by a lock in memory first.
        Self.inProcess.lock()
        defer { Self.inProcess.unlock() }
        let lock = try Self.lockHostWide(lockPath)
        defer { berth_fcntl_unlock(lock); close(lock) }
        var args = ["--config", configDir, "--aardvark-binary", aardvark, command, netns]
        var path = binary
        if let rootless {
            // In the rootless namespace (nsenter joins it: berthd is root over it in its user
            // namespace), told it is rootless as podman tells it.
            args = ["--net=" + rootless.path, "--", binary, "--rootless", "true"] + args
            path = Self.nsenter
        }
        let spawn = { try Spawn.run(path, args, stdin: input) }
        let dns = options.network_info.values.filter(\.dns_enabled)
        let r =
            dns.isEmpty
            ? try spawn()
            : try DNSReadiness.afterReload(
                gateways: dns.flatMap { $0.subnets.compactMap(\.gateway) }, setup: command == "setup",
                pidFile: configDir + "/aardvark-dns/aardvark.pid", tables: rootless.map { r in { r.procNet($0) } }, spawn)
        guard r.status == 0 else {
            // netavark reports `{"error": "…"}` on stdout.
            let message = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["error"] as? String
            throw BerthError.internal("netavark \(command): " + (message ?? (r.stderr + r.stdout).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return r.stdout
    }

    static let inProcess = NSLock()

    /// podman's netavark lock (containers/common: NetworkRunDir/netavark.lock, root's default).
    public static let hostLockPath = "/run/containers/networks/netavark.lock"

    static let nsenter = "/usr/bin/nsenter"

    static func lockHostWide(_ lockPath: String) throws -> Int32 {
        try FileOps.makeDirs((lockPath as NSString).deletingLastPathComponent, mode: 0o755)
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BerthError.posix("open \(lockPath)") }
        let rc = berth_fcntl_lock_wait(fd)
        guard rc == 0 else {
            close(fd)
            throw BerthError.internal("locking \(lockPath): \(String(cString: strerror(-rc)))")
        }
        return fd
    }
}

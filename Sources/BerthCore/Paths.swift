import Foundation

/// Where berth keeps its files, derived from `--root` and `--runroot`.
public struct BerthPaths: Sendable, Equatable {
    public let root: String
    public let runroot: String

    public init(root: String, runroot: String) {
        self.root = Self.absolute(root)
        self.runroot = Self.absolute(runroot)
    }

    public static let defaultRoot = "/var/lib/berth"
    public static let defaultRunroot = "/run/berth"

    /// Root and runroot from flags, else the environment, else the defaults: an ordinary user's
    /// own (`userDefaults`) for their berthd, and for their CLI once they have a berth of their
    /// own (so a member of the `berth` group keeps using root's berthd until then).
    public static func resolve(root: String?, runroot: String?, daemon: Bool = false) -> BerthPaths {
        let env = ProcessInfo.processInfo.environment
        let d = usesUserDefaults(env, daemon: daemon) ? userDefaults(env) : (root: defaultRoot, runroot: defaultRunroot)
        return BerthPaths(
            root: root ?? env["BERTH_ROOT"] ?? d.root,
            runroot: runroot ?? env["BERTH_RUNROOT"] ?? d.runroot)
    }

    /// An ordinary user's berth, as podman's: state in `$XDG_DATA_HOME/berth`
    /// (~/.local/share/berth), runtime files and the socket in `$XDG_RUNTIME_DIR/berth`
    /// (a private folder under /tmp when the session has none).
    public static func usesUserDefaults(_ env: [String: String], daemon: Bool) -> Bool {
        guard geteuid() != 0 else { return false }
        if daemon { return true }
        let own = userDefaults(env)
        return FileManager.default.fileExists(atPath: own.runroot + "/berth.sock") || FileManager.default.fileExists(atPath: own.root + "/berth.db")
    }

    public static func userDefaults(_ env: [String: String]) -> (root: String, runroot: String) {
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? getpwuid(geteuid()).map { String(cString: $0.pointee.pw_dir) } ?? "/"
        let data = env["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/share"
        let run = env["XDG_RUNTIME_DIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp/berth-run-\(geteuid())"
        return (data + "/berth", run + "/berth")
    }

    public var database: String { root + "/berth.db" }
    public var lockFile: String { root + "/berthd.lock" }
    public var blobs: String { root + "/blobs/sha256" }
    public var layers: String { root + "/layers" }
    public var containers: String { root + "/containers" }
    public var volumes: String { root + "/volumes" }
    /// Partial work; emptied by berthd at start.
    public var tmp: String { root + "/tmp" }
    public var defaultSocket: String { runroot + "/berth.sock" }
    /// Rootless: the pid of the process holding berth's user and mount namespaces.
    public var pauseFile: String { runroot + "/pause.pid" }
    /// Layer blobs a pull fetched and verified, kept until an image records them (a pull cut
    /// short, by a crash too, does not fetch them again); a day at most.
    public var downloads: String { root + "/downloads" }

    public func blob(_ hex: String) -> String { blobs + "/" + hex }
    public func layerDir(_ chainHex: String) -> String { layers + "/" + chainHex }
    public func layerDiff(_ chainHex: String) -> String { layers + "/" + chainHex + "/diff" }

    /// `p` against the current directory, without a trailing `/`.
    public static func absolute(_ p: String) -> String {
        var path = p
        if !path.hasPrefix("/") { path = FileManager.default.currentDirectoryPath + "/" + path }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

/// Paths inside a container, as Go's path.Clean leaves them (absolute, no `.`, `..` or
/// doubled and trailing slashes): `/a/./b/../c/` → `/a/c`.
public enum ContainerPath {
    public static func clean(_ p: String) -> String {
        var parts: [Substring] = []
        for part in p.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// The address of berthd's API socket: `-H`, else BERTH_HOST, else the default.
public enum HostAddress {
    public static let defaultHost = "unix:///run/berth/berth.sock"

    /// Resolves a `unix://PATH` address to a socket path.
    public static func socketPath(_ host: String?) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let own = BerthPaths.usesUserDefaults(env, daemon: false)
        let h = host ?? env["BERTH_HOST"] ?? (own ? "unix://" + BerthPaths.userDefaults(env).runroot + "/berth.sock" : defaultHost)
        if h.hasPrefix("unix://") {
            let p = String(h.dropFirst(7))
            guard p.hasPrefix("/") else { throw BerthError.invalid("invalid host \(h): the socket path must be absolute") }
            return p
        }
        if h.hasPrefix("/") { return h }
        throw BerthError.invalid("invalid host \(h): only unix:///path sockets are supported")
    }
}

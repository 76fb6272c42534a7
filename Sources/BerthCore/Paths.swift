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

    /// Root and runroot from flags, else the environment, else the defaults.
    public static func resolve(root: String?, runroot: String?) -> BerthPaths {
        let env = ProcessInfo.processInfo.environment
        return BerthPaths(
            root: root ?? env["BERTH_ROOT"] ?? defaultRoot,
            runroot: runroot ?? env["BERTH_RUNROOT"] ?? defaultRunroot)
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
        let h = host ?? ProcessInfo.processInfo.environment["BERTH_HOST"] ?? defaultHost
        if h.hasPrefix("unix://") {
            let p = String(h.dropFirst(7))
            guard p.hasPrefix("/") else { throw BerthError.invalid("invalid host \(h): the socket path must be absolute") }
            return p
        }
        if h.hasPrefix("/") { return h }
        throw BerthError.invalid("invalid host \(h): only unix:///path sockets are supported")
    }
}

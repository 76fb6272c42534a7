import CBerthSys
import Foundation

/// The user namespace berthd runs in, and the subordinate ids an ordinary user may map.
public enum UserNamespace {
    /// One line of /proc/PID/uid_map (or gid_map): `inside` … `inside+count-1` are
    /// `outside` … in the parent namespace.
    public struct Mapping: Sendable, Equatable, Codable {
        public var inside: UInt32
        public var outside: UInt32
        public var count: UInt32
        public init(inside: UInt32, outside: UInt32, count: UInt32) {
            self.inside = inside
            self.outside = outside
            self.count = count
        }
    }

    /// A range from /etc/subuid or /etc/subgid.
    public struct Range: Sendable, Equatable {
        public var start: UInt32
        public var count: UInt32
    }

    /// Parses a uid_map's text; lines that do not parse are skipped.
    public static func parseMap(_ text: String) -> [Mapping] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count == 3, let a = UInt32(f[0]), let b = UInt32(f[1]), let c = UInt32(f[2]) else { return nil }
            return Mapping(inside: a, outside: b, count: c)
        }
    }

    /// The first range of `user` (by name or by uid, as shadow's tools accept) in the text of
    /// /etc/subuid or /etc/subgid (`name:start:count` per line; `#` comments).
    public static func subordinateRange(_ text: String, user: String, id: UInt32) -> Range? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count == 3, f[0] == user || f[0] == String(id),
                let start = UInt32(f[1].trimmingCharacters(in: .whitespaces)),
                let count = UInt32(f[2].trimmingCharacters(in: .whitespaces)), count > 0,
                UInt64(start) + UInt64(count) <= UInt64(UInt32.max)
            else { continue }
            return Range(start: start, count: count)
        }
        return nil
    }

    /// This process's uid map, as the kernel reports it.
    public static var uidMap: [Mapping] { parseMap((try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8)) ?? "") }
    public static var gidMap: [Mapping] { parseMap((try? String(contentsOfFile: "/proc/self/gid_map", encoding: .utf8)) ?? "") }

    /// True in a rootless berthd: one that joined the user namespace of its pause process at
    /// start. (Not "any user namespace": root in an unprivileged system container has a
    /// namespace of its own, and berthd there is a root berthd.)
    public static var isRootless: Bool { berth_userns_joined() == 1 }

    /// Forks the pause process into new user and mount namespaces (rootless.c) and waits until
    /// they exist; the caller maps them (newuidmap/newgidmap).
    public static func spawnPause() throws -> pid_t {
        var sync: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&sync) == 0 else { throw BerthError.posix("pipe") }
        let pid = berth_userns_pause_spawn(sync[1])
        close(sync[1])
        defer { close(sync[0]) }
        guard pid > 0 else { throw BerthError.internal("rootless: starting the pause process: \(String(cString: strerror(-pid)))") }
        var made: UInt8 = 0
        guard read(sync[0], &made, 1) == 1, made == 1 else {
            Spawn.wait(pid)
            throw BerthError.internal("rootless: the kernel refused a new user namespace (is user.max_user_namespaces 0?)")
        }
        return pid
    }

    /// The error the start-up join (rootless.c, before main) met, if it met one.
    public static var joinError: String? { berth_userns_join_error().map { String(cString: $0) } }
}

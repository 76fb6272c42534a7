import Foundation

/// Whether aardvark-dns has taken in what netavark just told it. netavark 1.4 signals aardvark
/// (SIGHUP) or starts it and returns without waiting; aardvark then closes every socket, reads
/// its files again and binds new ones. Until then a new container's question reaches the old
/// server, which does not know the asker and answers nothing, and a second SIGHUP sent in that
/// gap is lost (aardvark has no handler registered between reloads). So a netavark run on a DNS
/// network holds netavark's lock until aardvark's sockets are new — read from /proc/net/udp by
/// inode, no packet sent.
public enum DNSReadiness {
    /// One bound UDP port-53 socket: its address as the kernel prints it, and its inode.
    struct Socket: Hashable {
        var local: String
        var inode: String
    }

    /// Runs `body` (netavark signalling aardvark) and waits, at most `timeout` seconds, until
    /// aardvark has reloaded: after a setup, new sockets on every IPv4 gateway in `gateways`;
    /// after a teardown, any new socket, or aardvark gone (it removes `pidFile` and exits when
    /// no container is left).
    public static func afterReload<T>(
        gateways: [String], setup: Bool, pidFile: String, timeout: Double = 2,
        tables: ((String) -> String?)? = nil, _ body: () throws -> T
    ) rethrows -> T {
        // The tables of the namespace aardvark runs in: berthd's own, or a rootless one.
        let read = tables ?? { try? String(contentsOfFile: "/proc/net/" + $0, encoding: .utf8) }
        let sockets = { ["udp", "udp6"].flatMap { read($0).map(parse) ?? [] } }
        let before = Set(sockets().map(\.inode))
        let result = try body()
        let want = gateways.map(keys).filter { !$0.isEmpty }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let fresh = sockets().filter { !before.contains($0.inode) }
            if reloaded(fresh: fresh, want: want, setup: setup, aardvarkGone: gone(pidFile)) {
                break
            }
            if Date() >= deadline { break }
            usleep(5_000)
        }
        return result
    }

    /// No aardvark: no pid file (it removes it as it exits), or no process of that pid (killed).
    static func gone(_ pidFile: String) -> Bool {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return true }
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return true }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// `want`: per IPv4 gateway, the forms its address:53 may take in the table.
    static func reloaded(fresh: [Socket], want: [[String]], setup: Bool, aardvarkGone: Bool) -> Bool {
        if setup {
            let bound = Set(fresh.map(\.local))
            return want.isEmpty ? !fresh.isEmpty : want.allSatisfy { $0.contains(where: bound.contains) }
        }
        return !fresh.isEmpty || aardvarkGone
    }

    /// `ip`:53 as /proc/net/udp prints it: the raw 32-bit word, byte-swapped on little-endian hosts.
    static func keys(_ ip: String) -> [String] {
        guard let v = IPAddress.parseIPv4(ip) else { return [] }
        return [String(format: "%08X:0035", v.byteSwapped), String(format: "%08X:0035", v)]
    }

    /// The port-53 sockets of a /proc/net/udp(6) table.
    static func parse(_ table: String) -> [Socket] {
        table.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 9, f[1].hasSuffix(":0035") else { return nil }
            return Socket(local: String(f[1]), inode: String(f[9]))
        }
    }
}

import Foundation

/// Whether aardvark-dns listens yet. netavark 1.4 starts it and returns without waiting, so
/// the first container of a network could ask for a name before anyone answers; berth waits
/// (briefly) for its UDP socket on the gateway, read from /proc/net/udp — no packet sent.
public enum DNSReadiness {
    /// Waits up to `timeout` seconds until something has UDP `ip`:53 bound; false if nothing did.
    @discardableResult
    public static func wait(ip: String, timeout: Double = 2) -> Bool {
        guard let v = IPAddress.parseIPv4(ip) else { return false }
        // The kernel prints the address as the raw 32-bit word: byte-swapped on little-endian hosts.
        let want = [String(format: "%08X:0035", v.byteSwapped), String(format: "%08X:0035", v)]
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let text = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8), listening(text, want) { return true }
            if Date() >= deadline { return false }
            usleep(10_000)
        }
    }

    static func listening(_ table: String, _ want: [String]) -> Bool {
        for line in table.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count > 1, want.contains(String(f[1])) { return true }
        }
        return false
    }
}

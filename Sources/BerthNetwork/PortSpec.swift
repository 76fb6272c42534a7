import BerthCore

/// One `-p` entry as Docker reads it: `[ip:][hostPort[-end]:]containerPort[-end][/proto]`.
///
/// Host ports are absent for "any free port" (`-p 80`, `-p 127.0.0.1::80`). A host range with a
/// single container port means "one free port out of the range" (`-p 8080-8090:80`).
public struct PortSpec: Sendable, Equatable {
    public enum Proto: String, Sendable, CaseIterable { case tcp, udp, sctp }

    /// The host address, `""` for all of them; IPv6 without brackets.
    public var hostIP: String
    public var hostPorts: ClosedRange<UInt16>?
    public var containerPorts: ClosedRange<UInt16>
    public var proto: Proto

    public init(hostIP: String = "", hostPorts: ClosedRange<UInt16>? = nil, containerPorts: ClosedRange<UInt16>, proto: Proto = .tcp) {
        self.hostIP = hostIP
        self.hostPorts = hostPorts
        self.containerPorts = containerPorts
        self.proto = proto
    }

    /// Parses one `-p` value; errors carry Docker's wording.
    public static func parse(_ text: String) throws -> PortSpec {
        var rest = Substring(text)
        var proto = Proto.tcp
        if let slash = rest.lastIndex(of: "/") {
            let p = rest[rest.index(after: slash)...].lowercased()
            guard let parsed = Proto(rawValue: p) else { throw BerthError.invalid("invalid proto: \(p)") }
            proto = parsed
            rest = rest[..<slash]
        }
        var ip = ""
        // `[v6]:host:ctr` keeps its colons inside the brackets.
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw BerthError.invalid("invalid IP address: \(rest)") }
            ip = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw BerthError.invalid("invalid IP address: \(rest)") }
            guard IPAddress.isIPv6(ip) else { throw BerthError.invalid("invalid IP address: \(ip)") }
            rest = after.dropFirst()
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var hostText = "", containerText = ""
        switch parts.count {
        case 1:
            containerText = parts[0]
        case 2:
            hostText = parts[0]
            containerText = parts[1]
        case 3 where ip.isEmpty:
            ip = parts[0]
            hostText = parts[1]
            containerText = parts[2]
            guard IPAddress.isIPv4(ip) else { throw BerthError.invalid("invalid IP address: \(ip)") }
        default:
            throw BerthError.invalid("invalid port format: \(text)")
        }
        guard !containerText.isEmpty else { throw BerthError.invalid("no port specified: \(text)<empty>") }
        guard let ctr = range(containerText) else { throw BerthError.invalid("invalid containerPort: \(containerText)") }
        var host: ClosedRange<UInt16>?
        if !hostText.isEmpty {
            guard let h = range(hostText) else { throw BerthError.invalid("invalid hostPort: \(hostText)") }
            // Docker: equal lengths, or a host range to pick one port from for a single container port.
            if ctr.count > 1 && h.count != ctr.count {
                throw BerthError.invalid("invalid ranges specified for container and host Ports: \(containerText) and \(hostText)")
            }
            host = h
        }
        return PortSpec(hostIP: ip, hostPorts: host, containerPorts: ctr, proto: proto)
    }

    /// `80` or `80-90`: ports 1…65535, start ≤ end (0 is not a port a user can ask for).
    public static func range(_ s: String) -> ClosedRange<UInt16>? {
        let ends = s.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        func port(_ p: Substring) -> UInt16? {
            guard !p.isEmpty, p.count <= 5, p.allSatisfy({ $0 >= "0" && $0 <= "9" }), let v = UInt16(p), v > 0 else { return nil }
            return v
        }
        guard let a = port(ends[0]) else { return nil }
        if ends.count == 1 { return a...a }
        guard let b = port(ends[1]), a <= b else { return nil }
        return a...b
    }

    /// Docker's key for exposed ports, `80/tcp`.
    public static func key(_ port: UInt16, _ proto: Proto) -> String { "\(port)/\(proto.rawValue)" }
}

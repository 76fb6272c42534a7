import BerthAPI
import BerthCore
import BerthNetwork
import BerthStore

/// The port rows a create records: -p bindings, -P's exposed ports on free host ports, and
/// the exposed ports nobody published.
enum PortPlan {
    /// `80/tcp` or `80` (tcp): one container port.
    static func containerPort(_ key: String) throws -> (port: Int, proto: String) {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
        guard PortSpec.Proto(rawValue: proto) != nil else { throw BerthError.invalid("invalid proto: \(proto)") }
        guard let r = PortSpec.range(parts[0]), r.count == 1 else { throw BerthError.invalid("invalid containerPort: \(parts[0])") }
        return (Int(r.lowerBound), proto)
    }

    static func rows(host: HostConfig, exposed: [String]) throws -> [PortRow] {
        var rows: [PortRow] = []
        var published = Set<String>()
        for (key, bindings) in (host.PortBindings ?? [:]).sorted(by: { $0.key < $1.key }) {
            let (port, proto) = try containerPort(key)
            let list = bindings ?? []
            for b in list.isEmpty ? [PortBinding(HostIp: "", HostPort: "")] : list {
                var ip = b.HostIp ?? ""
                if ip == "0.0.0.0" { ip = "" }
                // IPv6 ones need an `--ipv6` network (checked where the network is known).
                guard ip.isEmpty || IPAddress.isIPv4(ip) || IPAddress.isIPv6(ip) else { throw BerthError.invalid("invalid IP address: \(ip)") }
                let hp = b.HostPort ?? ""
                var row = PortRow(containerPort: port, proto: proto, hostIP: ip, published: true)
                if !hp.isEmpty {
                    guard let r = PortSpec.range(hp) else { throw BerthError.invalid("invalid hostPort: \(hp)") }
                    row.requestedHostPort = Int(r.lowerBound)
                    if r.count > 1 { row.requestedRangeEnd = Int(r.upperBound) } else { row.hostPort = Int(r.lowerBound) }
                }
                rows.append(row)
            }
            published.insert("\(port)/\(proto)")
        }
        for key in Set(exposed).sorted() {
            let (port, proto) = try containerPort(key)
            guard !published.contains("\(port)/\(proto)") else { continue }
            rows.append(PortRow(containerPort: port, proto: proto, published: host.PublishAllPorts == true))
            published.insert("\(port)/\(proto)")
        }
        return rows
    }
}

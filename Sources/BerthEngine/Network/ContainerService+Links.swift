import BerthAPI
import BerthCore
import BerthNetwork
import BerthRuntime
import BerthStore
import Foundation

/// What a container's network adds to /etc/hosts, /etc/resolv.conf and its environment:
/// `--link`, `--add-host`, `--dns*`.
extension ContainerService {
    struct NetworkFiles {
        var hostLines: [String] = []
        var env: [String] = []
    }

    /// Create's checks, so a bad value fails the create rather than every start.
    static func validateNetworkOptions(_ req: ContainerCreateRequest, host: HostConfig, mode: String) throws {
        for h in host.ExtraHosts ?? [] {
            guard let (name, ip) = splitHost(h), !name.isEmpty,
                ip == "host-gateway" || IPAddress.isIPv4(ip) || IPAddress.isIPv6(ip)
            else { throw BerthError.invalid("invalid IP address in add-host: \"\(h)\"") }
        }
        for d in host.Dns ?? [] where !(IPAddress.isIPv4(d) || IPAddress.isIPv6(d)) {
            throw BerthError.invalid("\(d) is not an ip address")
        }
        for l in host.Links ?? [] where l.isEmpty || l.split(separator: ":").count > 2 {
            throw BerthError.invalid("invalid link format: \(l)")
        }
        if (host.Links ?? []).count > 0 && ownsNoNetwork(mode) {
            throw BerthError.invalid("conflicting options: links and the \(mode.hasPrefix("container:") ? "container" : mode) network mode")
        }
        let fixed = fixedAddress(req, mode: mode)
        if let mac = fixed.mac {
            guard !ownsNoNetwork(mode) else { throw BerthError.invalid("conflicting options: mac-address and the network mode") }
            guard IPAddress.isMAC(mac) else { throw BerthError.invalid("invalid MAC address: \(mac)") }
        }
        if let ip = fixed.ip {
            guard mode != defaultNetwork && !ownsNoNetwork(mode) else {
                throw BerthError.invalid("user specified IP address is supported on user defined networks only")
            }
            guard IPAddress.isIPv4(ip) else {
                throw BerthError.invalid(IPAddress.isIPv6(ip) ? "berth networks are IPv4 only: \(ip)" : "invalid IPv4 address: \(ip)")
            }
        }
    }

    /// The `--ip` and `--mac-address` asked for on the network a create joins (the MAC where
    /// clients before API 1.44 put it, too).
    static func fixedAddress(_ req: ContainerCreateRequest, mode: String) -> (ip: String?, mac: String?) {
        let e = req.NetworkingConfig?.EndpointsConfig?[mode]
        let ip = e?.IPAMConfig?.IPv4Address.flatMap { $0.isEmpty ? nil : $0 }
        let mac = (e?.MacAddress).flatMap { $0.isEmpty ? nil : $0 } ?? req.MacAddress.flatMap { $0.isEmpty ? nil : $0 }
        return (ip, mac?.lowercased())
    }

    /// `host:ip`, where ip may be IPv6 with colons.
    static func splitHost(_ s: String) -> (String, String)? {
        guard let i = s.firstIndex(of: ":") else { return nil }
        return (String(s[..<i]), String(s[s.index(after: i)...]))
    }

    /// Link lines, `--add-host` lines and link environment, for a start on `gateway`'s network.
    func networkFiles(_ c: ContainerRecord, host: HostConfig, gateway: String?) throws -> NetworkFiles {
        var out = NetworkFiles()
        for l in host.Links ?? [] {
            let parts = l.split(separator: ":", maxSplits: 1).map(String.init)
            let target = parts[0].hasPrefix("/") ? String(parts[0].dropFirst()) : parts[0]
            let alias = parts.count > 1 ? String(parts[1].split(separator: "/").last ?? "") : target
            let (linked, nets, ports) = try store.read { db -> (ContainerRecord, [NetworkAttachment], [PortRow]) in
                guard let t = try? ContainerQueries.resolve(db, target) else {
                    throw BerthError.invalid("could not get container for \(target)")
                }
                return (t, try NetworkStore.attachments(db, containerID: t.id), try NetworkStore.ports(db, containerID: t.id).map(\.port))
            }
            guard linked.state == .running || linked.state == .paused, let ip = nets.first?.ip else {
                throw BerthError.invalid("Cannot link to a non running container: /\(linked.name) AS /\(c.name)/\(alias)")
            }
            out.hostLines.append("\(ip)\t\(alias) \(linked.name)" + (alias == linked.name ? "" : ""))
            out.env += Self.linkEnv(alias: alias, name: c.name, ip: ip, ports: ports, env: linkedEnv(linked))
        }
        for h in host.ExtraHosts ?? [] {
            guard let (name, ip) = Self.splitHost(h) else { continue }
            out.hostLines.append((ip == "host-gateway" ? (gateway ?? "") : ip) + "\t" + name)
        }
        return out
    }

    func linkedEnv(_ c: ContainerRecord) -> [String] {
        ((try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8)))?.Env) ?? []
    }

    /// Docker's link variables: `ALIAS_PORT=tcp://ip:port` (lowest port), `ALIAS_PORT_80_TCP…`,
    /// `ALIAS_NAME=/me/alias`, `ALIAS_ENV_X` for the linked container's own environment.
    static func linkEnv(alias: String, name: String, ip: String, ports: [PortRow], env: [String]) -> [String] {
        let prefix = alias.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined()
        var out: [String] = []
        let sorted = ports.sorted { ($0.containerPort, $0.proto) < ($1.containerPort, $1.proto) }
        var seen = Set<String>()
        if let first = sorted.first { out.append("\(prefix)_PORT=\(first.proto)://\(ip):\(first.containerPort)") }
        for p in sorted where seen.insert("\(p.containerPort)/\(p.proto)").inserted {
            let key = "\(prefix)_PORT_\(p.containerPort)_\(p.proto.uppercased())"
            out += ["\(key)=\(p.proto)://\(ip):\(p.containerPort)", "\(key)_ADDR=\(ip)", "\(key)_PORT=\(p.containerPort)", "\(key)_PROTO=\(p.proto)"]
        }
        out.append("\(prefix)_NAME=/\(name)/\(alias)")
        for e in env {
            let key = e.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            if ["HOME", "PATH", "HOSTNAME"].contains(key) || key.isEmpty { continue }
            out.append("\(prefix)_ENV_\(e)")
        }
        return out
    }

    /// resolv.conf for a start: `--dns*` first, then the network's own DNS, else the host's.
    static func resolvConf(_ host: HostConfig, networkDNS: String?) -> String? {
        let dns = host.Dns ?? [], search = host.DnsSearch ?? [], opts = host.DnsOptions ?? []
        if dns.isEmpty && search.isEmpty && opts.isEmpty {
            return networkDNS.map { HostFiles.resolvConf(nameservers: [$0]) }
        }
        var lines: [String] = []
        let base = dns.isEmpty ? nil : ""
        if base == nil {
            // Only search/options given: the name servers stay as they would have been.
            let text = networkDNS.map { HostFiles.resolvConf(nameservers: [$0]) } ?? HostFiles.resolvConf(hostNetwork: false)
            lines += text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("nameserver ") }
        } else {
            lines += dns.map { "nameserver " + $0 }
        }
        if !search.isEmpty { lines.append("search " + search.joined(separator: " ")) }
        if !opts.isEmpty { lines.append("options " + opts.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }
}

import BerthAPI
import BerthCore
import BerthNetwork

extension CreateOptions {
    /// `-p` and `--expose` as the docker CLI sends them: one PortBindings key per container
    /// port (`80/tcp`), its host port, or the host range to pick one from, as text.
    static func ports(publish: [String], expose: [String]) throws -> ([String: [PortBinding]?], [String: EmptyObject]) {
        var bindings: [String: [PortBinding]?] = [:]
        var exposed: [String: EmptyObject] = [:]
        for p in publish {
            let spec: PortSpec
            do { spec = try PortSpec.parse(p) } catch let e as BerthError {
                throw CLIError(message: "invalid argument \"\(p)\" for \"-p, --publish\" flag: \(e.message)", code: 125)
            }
            for (i, port) in spec.containerPorts.enumerated() {
                var hostPort = ""
                if let h = spec.hostPorts {
                    if h.count == spec.containerPorts.count {
                        hostPort = String(Int(h.lowerBound) + i)
                    } else {
                        hostPort = h.count == 1 ? String(h.lowerBound) : "\(h.lowerBound)-\(h.upperBound)"
                    }
                }
                let key = PortSpec.key(port, spec.proto)
                exposed[key] = EmptyObject()
                bindings[key] = ((bindings[key] ?? nil) ?? []) + [PortBinding(HostIp: spec.hostIP, HostPort: hostPort)]
            }
        }
        for e in expose {
            let parts = e.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
            guard let range = PortSpec.range(parts[0]), let pr = PortSpec.Proto(rawValue: proto) else {
                throw CLIError(message: "invalid argument \"\(e)\" for \"--expose\" flag: invalid range format for --expose: \(e)", code: 125)
            }
            for port in range { exposed[PortSpec.key(port, pr)] = EmptyObject() }
        }
        return (bindings, exposed)
    }
}

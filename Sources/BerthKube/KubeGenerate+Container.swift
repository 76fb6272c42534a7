import BerthAPI
import BerthCore
import Foundation

extension KubeGenerate {
    /// One container of a pod spec; its volumes and claims added to the pod's.
    mutating func container(
        _ s: KubeSource, podName: String, volumes: inout [[String: Any]], claims: inout [String: [String: Any]]
    ) -> [String: Any] {
        let r = s.request, h = r.HostConfig
        var c: [String: Any] = ["image": s.imageDigestRef ?? s.image]
        if let e = r.Entrypoint?.values, !e.isEmpty { c["command"] = e }
        if let a = r.Cmd?.values, !a.isEmpty { c["args"] = a }
        if let w = r.WorkingDir, !w.isEmpty { c["workingDir"] = w }
        // Values as written, as podman does: a secret in the environment is in the YAML too.
        let env = (r.Env ?? []).compactMap { e -> [String: Any]? in
            guard let eq = e.firstIndex(of: "=") else { return nil }
            return ["name": String(e[..<eq]), "value": String(e[e.index(after: eq)...])]
        }
        if !env.isEmpty { c["env"] = env }
        if r.Tty == true { c["tty"] = true }
        if r.OpenStdin == true { c["stdin"] = true }
        var security: [String: Any] = [:]
        if let u = r.User, !u.isEmpty {
            let parts = u.split(separator: ":")
            if let uid = Int(parts[0]) { security["runAsUser"] = uid } else { warnings.append("\(s.name): user \(u) is a name; Kubernetes takes numeric ids only, left out") }
            if parts.count > 1, let gid = Int(parts[1]) { security["runAsGroup"] = gid }
        }
        if h?.Privileged == true { security["privileged"] = true }
        if h?.ReadonlyRootfs == true { security["readOnlyRootFilesystem"] = true }
        var caps: [String: Any] = [:]
        if let a = h?.CapAdd, !a.isEmpty { caps["add"] = a.map { $0.uppercased().replacingOccurrences(of: "CAP_", with: "") } }
        if let d = h?.CapDrop, !d.isEmpty { caps["drop"] = d.map { $0.uppercased().replacingOccurrences(of: "CAP_", with: "") } }
        if !caps.isEmpty { security["capabilities"] = caps }
        if !security.isEmpty { c["securityContext"] = security }
        var limits: [String: Any] = [:]
        if let m = h?.Memory, m > 0 { limits["memory"] = String(m) }
        if let n = h?.NanoCpus, n > 0 { limits["cpu"] = "\(max(1, n / 1_000_000))m" }
        if !limits.isEmpty { c["resources"] = ["limits": limits] }
        var exposed = Set((r.ExposedPorts ?? [:]).keys)
        var ports: [[String: Any]] = []
        for p in s.ports {
            var x: [String: Any] = ["containerPort": p.containerPort, "protocol": p.proto.uppercased()]
            if let hp = p.hostPort, hp > 0 { x["hostPort"] = hp }
            if let ip = p.hostIP, !ip.isEmpty, ip != "0.0.0.0" { x["hostIP"] = ip }
            ports.append(x)
            exposed.remove("\(p.containerPort)/\(p.proto)")
        }
        for e in exposed.sorted() {
            let parts = e.split(separator: "/")
            if let n = Int(parts[0]) { ports.append(["containerPort": n, "protocol": (parts.count > 1 ? String(parts[1]) : "tcp").uppercased()]) }
        }
        if !ports.isEmpty { c["ports"] = ports }
        if let probe = livenessProbe(r.Healthcheck) { c["livenessProbe"] = probe }
        var mounts: [[String: Any]] = []
        for (i, m) in s.mounts.enumerated() {
            let vname: String
            switch m.type {
            case "tmpfs":
                vname = KubeName.label("\(s.name)-tmp-\(i)")
                volumes.append(["name": vname, "emptyDir": ["medium": "Memory"]])
            case "volume":
                let claim = KubeName.label(m.volumeName ?? "\(s.name)-volume-\(i)")
                vname = claim
                if !volumes.contains(where: { $0["name"] as? String == claim }) {
                    volumes.append(["name": claim, "persistentVolumeClaim": ["claimName": claim]])
                }
                claims[claim] = [
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": claim],
                    "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]] as [String: Any],
                ]
            default:
                vname = KubeName.label("\(s.name)-host-\(i)")
                volumes.append(["name": vname, "hostPath": ["path": m.source ?? "/"]])
                warnings.append("\(s.name): bind mount \(m.source ?? "") becomes a hostPath volume: it needs that path on the node")
            }
            var vm: [String: Any] = ["name": vname, "mountPath": m.destination]
            if m.readOnly { vm["readOnly"] = true }
            mounts.append(vm)
        }
        if !mounts.isEmpty { c["volumeMounts"] = mounts }
        return c
    }

    /// Docker's health check as an exec liveness probe (times in whole seconds, at least 1).
    func livenessProbe(_ h: HealthConfig?) -> [String: Any]? {
        guard let h, let test = h.Test, let kind = test.first, kind != "NONE", test.count > 1 else { return nil }
        let command = kind == "CMD-SHELL" ? ["/bin/sh", "-c", test[1]] : Array(test.dropFirst())
        var p: [String: Any] = ["exec": ["command": command]]
        func secs(_ ns: Int64?) -> Int? { ns.map { max(1, Int($0 / 1_000_000_000)) } }
        p["periodSeconds"] = secs(h.Interval) ?? 30
        p["timeoutSeconds"] = secs(h.Timeout) ?? 30
        p["failureThreshold"] = h.Retries ?? 3
        if let s = secs(h.StartPeriod) { p["initialDelaySeconds"] = s }
        return p
    }

    /// A Service for the published ports: NodePort keeping the host ports when all lie in
    /// Kubernetes' node port range, else ClusterIP (said on stderr).
    mutating func serviceDocument(_ podName: String, _ members: [KubeSource]) -> [String: Any]? {
        let published = members.flatMap(\.ports).filter { ($0.hostPort ?? 0) > 0 }
        guard !published.isEmpty else {
            warnings.append("\(podName): no published ports, so no Service")
            return nil
        }
        let nodePort = published.allSatisfy { (30000...32767).contains($0.hostPort!) }
        warnings.append("\(podName): Service of type \(nodePort ? "NodePort (host ports kept)" : "ClusterIP (host ports outside 30000-32767)")")
        let ports = published.map { p -> [String: Any] in
            var x: [String: Any] = [
                "name": "\(p.proto)-\(p.hostPort!)", "port": p.hostPort!, "targetPort": p.containerPort, "protocol": p.proto.uppercased(),
            ]
            if nodePort { x["nodePort"] = p.hostPort! }
            return x
        }
        return [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": podName] as [String: Any],
            "spec": ["type": nodePort ? "NodePort" : "ClusterIP", "selector": ["app": podName], "ports": ports] as [String: Any],
        ]
    }
}

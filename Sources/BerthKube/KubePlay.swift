import BerthAPI
import BerthCore
import Foundation

/// `kube play`: Kubernetes YAML turned into berth containers, validated whole before anything
/// is made. A pod is its first container (which holds the network namespace and the published
/// ports) and the rest joined to it (`--network container:`), as containers of a pod share
/// localhost in Kubernetes.
public struct KubePlan: Sendable {
    public struct Container: Sendable {
        public var name: String
        public var request: ContainerCreateRequest
    }
    public struct Pod: Sendable {
        public var name: String
        public var containers: [Container]
        /// Volumes the pod's emptyDirs and claims need: (name, labels).
        public var volumes: [(String, [String: String])]
        /// Of those, the ones to fill before the containers start (configMap, secret).
        public var fills: [VolumeFill] = []
    }
    public var pods: [Pod] = []
    public var warnings: [String] = []

    public static let podLabel = "io.berth.kube.pod"
    public static let fileLabel = "io.berth.kube.file"

    static let podKeys: Set<String> = ["containers", "volumes", "restartPolicy", "hostname", "terminationGracePeriodSeconds"]
    static let containerKeys: Set<String> = [
        "name", "image", "command", "args", "workingDir", "env", "ports", "resources", "securityContext", "livenessProbe",
        "volumeMounts", "tty", "stdin", "imagePullPolicy", "envFrom",
    ]

    /// Reads every document; throws naming the document and field when something cannot be run.
    public init(yaml text: String, file: String) throws {
        var docs: [[String: Any]] = []
        do {
            for d in try KubeYAML.documents(text) {
                if d is NSNull { continue }
                guard let m = d as? [String: Any] else { throw BerthError.invalid("\(file): a document is not a mapping") }
                docs.append(m)
            }
        } catch let e as BerthError {
            throw BerthError.invalid(e.message.hasPrefix(file) ? e.message : "\(file): \(e.message)")
        } catch {
            throw BerthError.invalid("\(file): invalid YAML: \(error)")
        }
        var claims: Set<String> = []
        // ConfigMaps and Secrets first: a pod can come before the source its env names.
        let sources = try KubeSources(docs, file: file)
        for (i, d) in docs.enumerated() {
            let kind = d["kind"] as? String ?? ""
            let name = (d["metadata"] as? [String: Any])?["name"] as? String ?? ""
            let at = "\(file): document \(i + 1) (\(kind) \(name))"
            switch kind {
            case "PersistentVolumeClaim": claims.insert(name)
            case "ConfigMap", "Secret": continue
            case "Pod":
                guard let spec = d["spec"] as? [String: Any] else { throw BerthError.invalid("\(at): no spec") }
                pods.append(try Self.pod(KubeName.label(name), spec, file: file, at: at, sources: sources, warnings: &warnings))
            case "Deployment":
                let spec = d["spec"] as? [String: Any] ?? [:]
                let replicas = spec["replicas"] as? Int ?? 1
                guard (0...100).contains(replicas) else { throw BerthError.invalid("\(at): replicas \(replicas) out of 0-100") }
                guard let pspec = (spec["template"] as? [String: Any])?["spec"] as? [String: Any] else {
                    throw BerthError.invalid("\(at): no spec.template.spec")
                }
                for r in 0..<replicas {
                    pods.append(
                        try Self.pod(KubeName.label("\(name)-\(r + 1)"), pspec, file: file, at: at, sources: sources, warnings: &warnings))
                }
            default:
                throw BerthError.invalid("\(at): kind \(kind.isEmpty ? "(none)" : kind) is not supported (Pod, Deployment, ConfigMap, Secret, PersistentVolumeClaim)")
            }
        }
        guard !pods.isEmpty else { throw BerthError.invalid("\(file): no Pod or Deployment to play") }
        _ = claims
    }

    static func pod(
        _ podName: String, _ spec: [String: Any], file: String, at: String, sources: KubeSources,
        warnings: inout [String]
    ) throws -> Pod {
        for k in spec.keys.sorted() where !podKeys.contains(k) { warnings.append("\(at): spec.\(k) is not supported, ignored") }
        guard let list = spec["containers"] as? [[String: Any]], !list.isEmpty else { throw BerthError.invalid("\(at): no containers") }
        let restart = ["Always": "always", "OnFailure": "on-failure", "Never": "no"][spec["restartPolicy"] as? String ?? "Always"]
        guard let restart else { throw BerthError.invalid("\(at): restartPolicy \(spec["restartPolicy"]!) is not Always, OnFailure or Never") }
        let labels = [podLabel: podName, fileLabel: file]
        // The pod's volumes by name: what a volumeMount of that name becomes.
        var volumes: [String: HostConfig.Mount] = [:]
        var made: [(String, [String: String])] = []
        var fills: [VolumeFill] = []
        for v in spec["volumes"] as? [[String: Any]] ?? [] {
            guard let n = v["name"] as? String else { throw BerthError.invalid("\(at): a volume without a name") }
            if let e = v["emptyDir"] as? [String: Any] {
                if e["medium"] as? String == "Memory" {
                    volumes[n] = HostConfig.Mount(Type: "tmpfs", Source: nil, Target: nil, ReadOnly: false)
                } else {
                    let vol = KubeName.label("\(podName)-\(n)")
                    made.append((vol, labels))
                    volumes[n] = HostConfig.Mount(Type: "volume", Source: vol, Target: nil, ReadOnly: false)
                }
            } else if v["emptyDir"] != nil {
                let vol = KubeName.label("\(podName)-\(n)")
                made.append((vol, labels))
                volumes[n] = HostConfig.Mount(Type: "volume", Source: vol, Target: nil, ReadOnly: false)
            } else if let h = (v["hostPath"] as? [String: Any])?["path"] as? String {
                guard h.hasPrefix("/") else { throw BerthError.invalid("\(at): hostPath \(h) is not absolute") }
                volumes[n] = HostConfig.Mount(Type: "bind", Source: h, Target: nil, ReadOnly: false)
            } else if let c = (v["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String {
                made.append((c, [fileLabel: file]))
                volumes[n] = HostConfig.Mount(Type: "volume", Source: c, Target: nil, ReadOnly: false)
            } else if let src = (v["configMap"] ?? v["secret"]) as? [String: Any] {
                // Filled by play, then mounted read-only, as Kubernetes mounts them.
                let vol = KubeName.label("\(podName)-\(n)")
                made.append((vol, labels))
                fills.append(VolumeFill(volume: vol, files: try projectedFiles(src, secret: v["configMap"] == nil, sources: sources, at: "\(at): volume \(n)")))
                var m = HostConfig.Mount(Type: "volume", Source: vol, Target: nil, ReadOnly: true)
                m.VolumeOptions = .init(NoCopy: true)
                volumes[n] = m
            } else {
                throw BerthError.invalid("\(at): volume \(n): only emptyDir, hostPath, persistentVolumeClaim, configMap and secret are supported")
            }
        }
        var containers: [Container] = []
        for (i, c) in list.enumerated() {
            guard let cname = c["name"] as? String, let image = c["image"] as? String else {
                throw BerthError.invalid("\(at): container \(i + 1) needs a name and an image")
            }
            let cat = "\(at): container \(cname)"
            for k in c.keys.sorted() where !containerKeys.contains(k) { warnings.append("\(cat): \(k) is not supported, ignored") }
            var r = ContainerCreateRequest()
            r.Image = image
            if let cmd = c["command"] as? [String] { r.Entrypoint = StringOrArray(cmd) }
            if let args = c["args"] as? [String] { r.Cmd = StringOrArray(args) }
            r.WorkingDir = c["workingDir"] as? String
            r.Tty = c["tty"] as? Bool
            r.OpenStdin = c["stdin"] as? Bool
            r.Labels = labels.merging(["io.berth.kube.container": cname]) { a, _ in a }
            r.Env = try Self.env(c, cat: cat, sources: sources)
            var h = HostConfig()
            h.RestartPolicy = .init(Name: restart, MaximumRetryCount: nil)
            let limits = (c["resources"] as? [String: Any])?["limits"] as? [String: Any] ?? [:]
            if let m = limits["memory"] { h.Memory = try Self.quantity("\(m)", what: "\(cat): memory") }
            if let cpu = limits["cpu"] { h.NanoCpus = try Self.cpu("\(cpu)", what: "\(cat): cpu") }
            if let sc = c["securityContext"] as? [String: Any] {
                if let u = sc["runAsUser"] as? Int { r.User = String(u) + ((sc["runAsGroup"] as? Int).map { ":\($0)" } ?? "") }
                h.Privileged = sc["privileged"] as? Bool
                h.ReadonlyRootfs = sc["readOnlyRootFilesystem"] as? Bool
                let caps = sc["capabilities"] as? [String: Any]
                h.CapAdd = caps?["add"] as? [String]
                h.CapDrop = caps?["drop"] as? [String]
            }
            if let probe = c["livenessProbe"] as? [String: Any] {
                guard let cmd = (probe["exec"] as? [String: Any])?["command"] as? [String], !cmd.isEmpty else {
                    throw BerthError.invalid("\(cat): only exec liveness probes are supported")
                }
                var hc = HealthConfig()
                hc.Test = ["CMD"] + cmd
                // Seconds from a file: a product past Int64 is refused, not a trap.
                func seconds(_ key: String, _ fallback: Int?) throws -> Int64? {
                    guard let n = probe[key] as? Int ?? fallback else { return nil }
                    guard n >= 0, let ns = Checked.multiply(Int64(n), 1_000_000_000) else {
                        throw BerthError.invalid("\(cat): livenessProbe.\(key) \(n) is out of range")
                    }
                    return ns
                }
                hc.Interval = try seconds("periodSeconds", 10)
                hc.Timeout = try seconds("timeoutSeconds", 1)
                hc.Retries = probe["failureThreshold"] as? Int ?? 3
                hc.StartPeriod = try seconds("initialDelaySeconds", nil)
                r.Healthcheck = hc
            }
            var mounts: [HostConfig.Mount] = []
            for m in c["volumeMounts"] as? [[String: Any]] ?? [] {
                guard let n = m["name"] as? String, let path = m["mountPath"] as? String, var mount = volumes[n] else {
                    throw BerthError.invalid("\(cat): a volumeMount names no volume of the pod")
                }
                mount.Target = path
                mount.ReadOnly = (m["readOnly"] as? Bool ?? false) || mount.ReadOnly == true
                mounts.append(mount)
            }
            h.Mounts = mounts.isEmpty ? nil : mounts
            containers.append(Container(name: KubeName.label("\(podName)-\(cname)"), request: r))
            containers[containers.count - 1].request.HostConfig = h
            // Ports: all on the first container, which holds the pod's network namespace.
            var exposed: [String: EmptyObject] = [:]
            var bindings: [String: [PortBinding]?] = [:]
            for p in c["ports"] as? [[String: Any]] ?? [] {
                guard let port = p["containerPort"] as? Int, (1...65535).contains(port) else {
                    throw BerthError.invalid("\(cat): a port needs a containerPort from 1 to 65535")
                }
                let key = "\(port)/\((p["protocol"] as? String ?? "TCP").lowercased())"
                exposed[key] = EmptyObject()
                if let hp = p["hostPort"] as? Int {
                    bindings[key] = [PortBinding(HostIp: p["hostIP"] as? String ?? "", HostPort: String(hp))]
                }
            }
            var first = containers[0].request
            if !exposed.isEmpty { first.ExposedPorts = (first.ExposedPorts ?? [:]).merging(exposed) { a, _ in a } }
            if !bindings.isEmpty {
                var host = first.HostConfig ?? HostConfig()
                host.PortBindings = (host.PortBindings ?? [:]).merging(bindings) { a, _ in a }
                first.HostConfig = host
            }
            containers[0].request = first
        }
        let owner = containers[0].name
        for i in containers.indices.dropFirst() { containers[i].request.HostConfig?.NetworkMode = "container:" + owner }
        return Pod(name: podName, containers: containers, volumes: made, fills: fills)
    }

    /// `64Mi`, `1G`, `500M`, `1024`: bytes.
    static func quantity(_ s: String, what: String) throws -> Int64 {
        let units: [(String, Double)] = [("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("k", 1e3), ("M", 1e6), ("G", 1e9)]
        for (u, m) in units where s.hasSuffix(u) {
            if let n = Double(s.dropLast(u.count)), n > 0, let b = Checked.int64(n * m) { return b }
        }
        guard let n = Int64(s), n > 0 else { throw BerthError.invalid("\(what): invalid quantity \(s)") }
        return n
    }

    /// `500m`, `0.5`, `2`: nano CPUs.
    static func cpu(_ s: String, what: String) throws -> Int64 {
        if s.hasSuffix("m"), let n = Double(s.dropLast()), n > 0, let c = Checked.int64(n * 1e6) { return c }
        guard let n = Double(s), n > 0, let c = Checked.int64(n * 1e9) else { throw BerthError.invalid("\(what): invalid CPU quantity \(s)") }
        return c
    }
}

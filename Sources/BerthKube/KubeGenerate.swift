import BerthAPI
import BerthCore
import Foundation
import Yams

/// `kube generate`: Pods (or Deployments), PersistentVolumeClaims for named volumes and, asked
/// for, Services for published ports, from what berth recorded of the containers.
public struct KubeGenerate {
    public enum Kind: String, Sendable { case pod, deployment }
    public var kind: Kind = .pod
    public var service = false
    /// What changed meaning or could not be carried over, for stderr.
    public internal(set) var warnings: [String] = []

    public init(kind: Kind = .pod, service: Bool = false) {
        self.kind = kind
        self.service = service
    }

    /// The documents, in order: claims, then per group its Pod/Deployment and Service.
    public mutating func documents(_ sources: [KubeSource]) -> [[String: Any]] {
        // Containers sharing a network namespace share a pod, named after the one they join.
        var groups: [(name: String, members: [KubeSource])] = []
        for s in sources {
            if let j = s.joins, let i = groups.firstIndex(where: { $0.members.contains { $0.name == j } }) {
                groups[i].members.append(s)
            } else {
                if s.joins != nil { warnings.append("\(s.name) joins \(s.joins!)'s network, which is not generated: it gets a pod of its own") }
                groups.append((s.name, [s]))
            }
        }
        var claims: [String: [String: Any]] = [:]
        var docs: [[String: Any]] = []
        for g in groups {
            let podName = KubeName.label(g.name)
            var volumes: [[String: Any]] = []
            var containers: [[String: Any]] = []
            var restart: String?
            for s in g.members {
                var c = container(s, podName: podName, volumes: &volumes, claims: &claims)
                c["name"] = KubeName.label(s.name)
                containers.append(c)
                let policy = s.request.HostConfig?.RestartPolicy?.Name ?? ""
                let mapped = ["always": "Always", "unless-stopped": "Always", "on-failure": "OnFailure"][policy] ?? "Never"
                if let r = restart, r != mapped { warnings.append("\(s.name): restart policies differ within pod \(podName); the first one is used") }
                restart = restart ?? mapped
            }
            var spec: [String: Any] = ["containers": containers]
            if !volumes.isEmpty { spec["volumes"] = volumes }
            let labels = ["app": podName]
            let annotations = ["io.berth.generated-from": g.members.map(\.name).joined(separator: ",")]
            switch kind {
            case .pod:
                spec["restartPolicy"] = restart ?? "Never"
                docs.append([
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": ["name": podName, "labels": labels, "annotations": annotations] as [String: Any], "spec": spec,
                ])
            case .deployment:
                if let r = restart, r != "Always" {
                    warnings.append("\(podName): a Deployment restarts its pods always (the containers' policy was \(r))")
                }
                spec["restartPolicy"] = "Always"
                docs.append([
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": ["name": podName, "labels": labels, "annotations": annotations] as [String: Any],
                    "spec": [
                        "replicas": 1, "selector": ["matchLabels": labels],
                        "template": ["metadata": ["labels": labels], "spec": spec] as [String: Any],
                    ] as [String: Any],
                ])
            }
            if service, let svc = serviceDocument(podName, g.members) { docs.append(svc) }
        }
        return claims.keys.sorted().map { claims[$0]! } + docs
    }

    /// The YAML stream of the documents.
    public mutating func yaml(_ sources: [KubeSource]) throws -> String {
        try documents(sources).map { try Yams.dump(object: $0, sortKeys: true) }.joined(separator: "---\n")
    }
}

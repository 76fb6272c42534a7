import BerthAPI
import BerthCore
import Foundation
import Testing

@testable import BerthKube

/// `kube generate`'s mapping on its own: names, grouping by shared network namespace,
/// restart policies, probes.
@Suite struct KubeGenerateTests {
    func source(_ name: String, network: String? = nil, restart: String? = nil) -> KubeSource {
        var r = ContainerCreateRequest()
        r.Image = "busybox"
        var h = HostConfig()
        h.NetworkMode = network
        if let restart { h.RestartPolicy = .init(Name: restart, MaximumRetryCount: nil) }
        r.HostConfig = h
        return KubeSource(name: name, image: "busybox", imageDigestRef: nil, request: r, mounts: [], ports: [])
    }

    @Test func names() {
        #expect(KubeName.label("web") == "web")
        let odd = KubeName.label("Odd_Name.v2")
        #expect(odd.hasPrefix("odd-name-v2-") && odd == KubeName.label("Odd_Name.v2"))
        #expect(KubeName.label("odd-name-v2") != odd)
        #expect(KubeName.label(String(repeating: "a", count: 100)).count <= 63)
        #expect(KubeName.label("___").hasPrefix("c-"))
        #expect(KubeName.isKey("app.kubernetes.io/name") && !KubeName.isKey("bad key") && !KubeName.isKey("-x"))
        #expect(KubeName.isLabelValue("v1.2_3") && !KubeName.isLabelValue("-x") && !KubeName.isLabelValue(String(repeating: "a", count: 64)))
    }

    @Test func sharedNamespacesMakeOnePod() throws {
        var g = KubeGenerate()
        let docs = g.documents([source("app", restart: "always"), source("side", network: "container:app"), source("lone", network: "container:gone")])
        #expect(docs.map { $0["kind"] as? String } == ["Pod", "Pod"])
        let spec = docs[0]["spec"] as? [String: Any]
        #expect((spec?["containers"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["app", "side"])
        #expect(spec?["restartPolicy"] as? String == "Always")
        #expect(g.warnings.contains { $0.contains("lone joins gone") })
    }

    @Test func deploymentRestartsAlwaysAndProbes() throws {
        var g = KubeGenerate(kind: .deployment)
        var s = source("job", restart: "on-failure")
        var h = HealthConfig()
        h.Test = ["CMD", "true"]
        h.Interval = 2_500_000_000
        s.request.Healthcheck = h
        let docs = g.documents([s])
        let template = (docs[0]["spec"] as? [String: Any])?["template"] as? [String: Any]
        let spec = template?["spec"] as? [String: Any]
        #expect(spec?["restartPolicy"] as? String == "Always")
        let probe = (spec?["containers"] as? [[String: Any]])?.first?["livenessProbe"] as? [String: Any]
        #expect((probe?["exec"] as? [String: Any])?["command"] as? [String] == ["true"] && probe?["periodSeconds"] as? Int == 2)
        #expect(g.warnings.contains { $0.contains("restarts its pods always") })
        var none = HealthConfig()
        none.Test = ["NONE"]
        #expect(g.livenessProbe(none) == nil)
    }
}

/// `kube play`'s plan: a pod's containers joined to its first, quantities, refusals.
@Suite struct KubePlanTests {
    @Test func podPlan() throws {
        let yaml = """
            kind: Pod
            metadata: {name: Web_App}
            spec:
              restartPolicy: OnFailure
              volumes: [{name: t, emptyDir: {medium: Memory}}]
              containers:
              - {name: a, image: busybox, ports: [{containerPort: 80, hostPort: 8080}], resources: {limits: {memory: 1Gi, cpu: "1.5"}}}
              - {name: b, image: busybox, ports: [{containerPort: 81}], volumeMounts: [{name: t, mountPath: /t}], bogus: 1}
            """
        let plan = try KubePlan(yaml: yaml, file: "/f.yaml")
        let pod = try #require(plan.pods.first)
        #expect(pod.name.hasPrefix("web-app-") && pod.containers.count == 2)
        let a = pod.containers[0].request, b = pod.containers[1].request
        #expect(a.HostConfig?.PortBindings?["80/tcp"]??.first?.HostPort == "8080" && a.ExposedPorts?["81/tcp"] != nil)
        #expect(a.HostConfig?.Memory == 1 << 30 && a.HostConfig?.NanoCpus == 1_500_000_000 && a.HostConfig?.RestartPolicy?.Name == "on-failure")
        #expect(b.HostConfig?.NetworkMode == "container:" + pod.containers[0].name && b.HostConfig?.Mounts?.first?.Type == "tmpfs")
        #expect(plan.warnings.contains { $0.contains("bogus") })
        #expect(try KubePlan.quantity("64Mi", what: "m") == 64 << 20 && KubePlan.cpu("250m", what: "c") == 250_000_000)
        #expect(throws: BerthError.self) { try KubePlan.quantity("lots", what: "m") }
        #expect(throws: BerthError.self) { try KubePlan(yaml: "kind: Job\n", file: "f") }
        #expect(throws: BerthError.self) { try KubePlan(yaml: "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n", file: "f") }
    }

    /// configMap and secret volumes: the keys as files at their paths and modes, mounted
    /// read-only; a path that climbs out, a missing source or key is refused.
    @Test func projectedVolumes() throws {
        let yaml = """
            kind: ConfigMap
            metadata: {name: m}
            data: {a: one, b: two}
            ---
            kind: Secret
            metadata: {name: s}
            stringData: {pw: x}
            ---
            kind: Pod
            metadata: {name: p}
            spec:
              volumes:
              - {name: all, configMap: {name: m, defaultMode: 0400}}
              - {name: some, configMap: {name: m, items: [{key: b, path: d/two.txt, mode: 384}]}}
              - {name: sec, secret: {secretName: s}}
              - {name: none, configMap: {name: absent, optional: true}}
              containers:
              - {name: c, image: busybox, volumeMounts: [{name: all, mountPath: /a}, {name: sec, mountPath: /s, readOnly: false}]}
            """
        let pod = try #require(try KubePlan(yaml: yaml, file: "/f.yaml").pods.first)
        let files = Dictionary(uniqueKeysWithValues: pod.fills.map { ($0.volume, $0.files) })
        #expect(files["p-all"] == [.init(path: "a", data: Data("one".utf8), mode: 0o400), .init(path: "b", data: Data("two".utf8), mode: 0o400)])
        #expect(files["p-some"] == [.init(path: "d/two.txt", data: Data("two".utf8), mode: 0o600)])
        #expect(files["p-sec"] == [.init(path: "pw", data: Data("x".utf8), mode: 0o644)])
        #expect(files["p-none"] == [])
        // Always read-only, whatever the mount says.
        #expect(pod.containers[0].request.HostConfig?.Mounts?.map { $0.ReadOnly } == [true, true])
        for bad in ["../x", "/etc/x", "a/../../x", "a//b", ""] {
            #expect(throws: BerthError.self) { try KubePlan.checkPath(bad, at: "t") }
        }
        #expect(throws: BerthError.self) {
            try KubePlan(yaml: yaml.replacingOccurrences(of: "name: absent, optional: true", with: "name: absent"), file: "f")
        }
        #expect(throws: BerthError.self) { try KubePlan(yaml: yaml.replacingOccurrences(of: "key: b,", with: "key: z,"), file: "f") }
        #expect(throws: BerthError.self) { try KubePlan(yaml: yaml.replacingOccurrences(of: "mode: 384", with: "mode: 4096"), file: "f") }
    }

    /// Hostile YAML is an error, never a trap or a hang: a YAML 1.1 sexagesimal past Int's range
    /// (Yams' own constructor overflows on it) and nested aliases standing for 10^8 values.
    @Test func hostileYAMLIsRefused() throws {
        let big = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  terminationGracePeriodSeconds: 1:0:0:0:0:0:0:0:0:0:0:0:0\n  containers: [{name: c, image: busybox}]\n"
        // (Before, Yams' Int construction trapped here, ending the process.)
        let plan = try KubePlan(yaml: big, file: "/k.yaml")
        #expect(plan.pods.first?.containers.first?.request.StopTimeout == nil)
        let docs = try KubeYAML.documents("n: 0x1f\nm: -12\no: 0o17\ns: 1:0:0:0:0:0:0:0:0:0:0:0:0\n")
        let m = try #require(docs.first as? [String: Any])
        #expect(m["n"] as? Int == 31 && m["m"] as? Int == -12 && m["o"] as? Int == 15)
        #expect(m["s"] as? String == "1:0:0:0:0:0:0:0:0:0:0:0:0")
        // A key that is not a scalar (Yams' constructor unwraps it as a string and traps).
        #expect(throws: (any Error).self) { try KubePlan(yaml: "kind: Pod\nspec: {[a]: b}\n", file: "/k.yaml") }
        #expect(throws: (any Error).self) { try KubePlan(yaml: "? [x]\n: y\n", file: "/k.yaml") }
        let laughs = """
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""
        #expect(throws: (any Error).self) { try KubePlan(yaml: laughs, file: "/k.yaml") }
    }

    /// ConfigMaps feed env (envFrom with a prefix, then env's configMapKeyRef, later names
    /// winning), whichever document comes first; a missing map or key is an error unless optional.
    @Test func configMapsFeedEnv() throws {
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
              - name: c
                image: busybox
                envFrom: [{configMapRef: {name: settings}, prefix: S_}, {configMapRef: {name: nope, optional: true}}]
                env:
                - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
                - {name: S_port, value: "9"}
                - {name: GONE, valueFrom: {configMapKeyRef: {name: settings, key: nope, optional: true}}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {mode: fast, port: "8080"}
            """
        let plan = try KubePlan(yaml: pod, file: "/k.yaml")
        #expect(plan.pods[0].containers[0].request.Env == ["S_mode=fast", "S_port=9", "MODE=fast"])
        let missing = pod.replacingOccurrences(of: "key: mode", with: "key: absent")
        #expect(throws: (any Error).self) { try KubePlan(yaml: missing, file: "/k.yaml") }
    }
}

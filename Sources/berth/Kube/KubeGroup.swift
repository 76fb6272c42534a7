import ArgumentParser
import BerthAPI
import BerthCore
import BerthKube
import BerthStore
import Foundation

/// `berth kube`: a hand-off to Kubernetes.
struct KubeGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube", abstract: "Kubernetes YAML: generate it from containers, play it on berth.",
        subcommands: [KubeGenerateCommand.self, KubePlayCommand.self, KubeDownCommand.self])
}

/// `berth kube generate`: from the database (works with berthd down).
struct KubeGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate Kubernetes YAML (Pods or Deployments, claims, Services) from containers.",
        discussion: """
            Containers that share a network namespace (--network container:X) become one pod. Environment values \
            are written as they are (as podman does): a secret set with -e is in the YAML. Named volumes become \
            PersistentVolumeClaims (1Gi requested), tmpfs an in-memory emptyDir, bind mounts hostPath volumes.
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("s"), .long], help: "Also generate a Service for the published ports.") var service = false
    @Option(name: [.customShort("t"), .long], help: "The kind to generate: pod or deployment.") var type = "pod"
    @Option(name: [.customShort("f"), .long], help: "Write the YAML to this file.") var filename: String?
    @Argument(help: "CONTAINER…") var containers: [String]

    func validate() throws {
        guard KubeGenerate.Kind(rawValue: type) != nil else { throw ValidationError("--type takes pod or deployment, not \(type)") }
        if containers.isEmpty { throw ValidationError("\"berth kube generate\" requires at least one CONTAINER") }
    }

    func run() throws {
        let store = try global.store()
        let sources = try store.read { db -> [KubeSource] in
            try containers.map { ref in
                let c: ContainerRecord
                do { c = try ContainerQueries.resolve(db, ref) } catch { throw CLIError(message: "Error: no such container \(ref)") }
                let req = try JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8))
                var request = req
                // The HostConfig as applied (update may have changed it since create).
                if let applied = try? JSONDecoder().decode(HostConfig.self, from: Data(c.hostConfigJSON.utf8)) { request.HostConfig = applied }
                // A shared namespace is recorded by id; the pod groups by name.
                if let mode = request.HostConfig?.NetworkMode, mode.hasPrefix("container:"),
                    let other = try? ContainerQueries.resolve(db, String(mode.dropFirst(10)))
                {
                    request.HostConfig?.NetworkMode = "container:" + other.name
                }
                let mounts = try ContainerQueries.mounts(db, id: c.id).map {
                    KubeSource.Mount(type: $0.type, source: $0.source, destination: $0.destination, volumeName: $0.volumeName, readOnly: $0.readOnly)
                }
                let ports = try ContainerQueries.publishedPorts(db, id: c.id).map {
                    KubeSource.Port(containerPort: $0.containerPort, proto: $0.proto, hostIP: $0.hostIP, hostPort: $0.hostPort)
                }
                let digest = try ImageQueries.repoDigests(db, imageID: c.imageID).first
                return KubeSource(name: c.name, image: c.imageRef, imageDigestRef: digest, request: request, mounts: mounts, ports: ports)
            }
        }
        var gen = KubeGenerate(kind: KubeGenerate.Kind(rawValue: type)!, service: service)
        let yaml = try gen.yaml(sources)
        for w in gen.warnings { Out.err("WARN: " + w) }
        if let filename {
            try FileOps.writeAtomically(Data(yaml.utf8), to: filename)
        } else {
            Out.write(yaml)
        }
    }
}

import BerthAPI
import BerthCore
import BerthImage
import BerthKube
import Foundation

/// Fills a configMap or secret volume through berthd's API, as any client could: a container
/// that never starts holds the volume, the files go in as an archive (`PUT …/archive`), and the
/// container is removed again.
enum KubeFill {
    static let mountPoint = "/berth-kube-fill"

    static func fill(_ client: APIClient, _ f: KubePlan.VolumeFill, image: String, labels: [String: String]) async throws {
        var req = ContainerCreateRequest()
        req.Image = image
        req.Entrypoint = StringOrArray(["/berth-kube-fill-never-runs"])
        req.Labels = labels
        var host = HostConfig()
        host.NetworkMode = "none"
        var m = HostConfig.Mount(Type: "volume", Source: f.volume, Target: mountPoint, ReadOnly: false)
        m.VolumeOptions = .init(NoCopy: true)
        host.Mounts = [m]
        req.HostConfig = host
        let r = try await client.send(.POST, "/containers/create", body: .data(try JSONEncoder().encode(req)))
        let id = try JSONDecoder().decode(ContainerCreateResponse.self, from: r.body).Id
        defer { FileOps.removeTree(tmp(id)) }
        do {
            let tar = try archive(f.files, at: tmp(id))
            _ = try await client.send(.PUT, client.path("/containers", id, "/archive"), query: [("path", mountPoint)], body: .data(tar))
        } catch {
            _ = try? await client.send(.DELETE, client.path("/containers", id), query: [("force", "1")])
            throw error
        }
        _ = try await client.send(.DELETE, client.path("/containers", id), query: [("force", "1")])
    }

    static func tmp(_ id: String) -> String { NSTemporaryDirectory() + "/berth-kube-fill-" + String(id.prefix(12)) }

    /// The files as a tar, their folders first (made once each).
    static func archive(_ files: [KubePlan.File], at dir: String) throws -> Data {
        try FileOps.makeDirs(dir, mode: 0o700)
        let path = dir + "/fill.tar"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BerthError.posix("create \(path)") }
        defer { close(fd) }
        let w = try ArchiveWriter(fd: fd)
        var dirs = Set<String>()
        for f in files {
            var parent = ""
            for part in f.path.split(separator: "/").dropLast() {
                parent += (parent.isEmpty ? "" : "/") + part
                if dirs.insert(parent).inserted { try w.addDirectory(parent) }
            }
            try w.addFile(f.path, data: f.data, mode: mode_t(f.mode))
        }
        try w.close()
        guard let data = FileManager.default.contents(atPath: path) else { throw BerthError.posix("read \(path)") }
        return data
    }
}

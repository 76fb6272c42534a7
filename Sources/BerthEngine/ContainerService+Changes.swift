import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

extension ContainerService {
    /// The layer dirs of a container's image, top first (its overlay's lowerdirs).
    func lowerDirs(_ c: ContainerRecord) throws -> [String] {
        try store.layerDirs(imageID: c.imageID, paths: paths)
    }

    /// `berth diff` / GET /containers/{id}/changes: what the container changed in its image,
    /// read from its upper dir (no mount needed).
    public func changes(_ ref: String) async throws -> [ContainerChange] {
        let c = try get(ref)
        let lowers = try lowerDirs(c)
        let upper = files(c.id).upper
        return try await offload {
            try LayerDiff(upper: upper, lowers: lowers).changes().map { ContainerChange(Path: $0.path, Kind: $0.kind.rawValue) }
        }
    }

    /// `berth export` / GET /containers/{id}/export: the container's filesystem as a tar in a
    /// temporary file (the caller sends and deletes it). Volumes and runtime mounts are not in
    /// it, as with Docker: tar reads the overlay mount on the host, which has none of them.
    public func export(_ ref: String) async throws -> String {
        try await onContainer(ref) { [self] in
            let c = try get(ref)
            try FileOps.makeDirs(paths.tmp, mode: 0o700)
            let out = paths.tmp + "/export-" + Identifier.random().prefix(16) + ".tar"
            let r = try withRootfs(c) {
                // Entered through a descriptor: a symlink the container put anywhere is archived
                // as a link, never followed out of the root.
                try InRoot(files(c.id).rootfs).withDirectory(".") { dir in
                    try Spawn.run("/bin/tar", ["-C", dir, "-cf", out, "--numeric-owner", "--xattrs", "--sort=name", "."])
                }
            }
            guard r.status == 0 else {
                unlink(out)
                throw BerthError.internal("cannot export \(ref): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return out
        }
    }
}

import BerthAPI
import BerthCore
import BerthStore
import Foundation
import Glibc

extension ContainerService {
    /// `berth volume create`.
    public func createVolume(name: String?, labels: [String: String]) async throws -> Volume {
        try await worker.run { [self] in
            let n = (name?.isEmpty ?? true) ? Identifier.random() : name!
            guard NameGenerator.isValid(n) else {
                throw BerthError.invalid(
                    "create \(n): \"\(n)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed")
            }
            return try store.write { db in
                _ = try Volumes.ensure(db, name: n, anonymous: false, paths: paths, now: Clock.nowNanos())
                for (k, v) in labels { try VolumeStore.setLabel(db, n, key: k, value: v) }
                return try VolumeStore.get(db, n)
            }
        }
    }

    /// `berth volume rm`: refused while a container uses it.
    public func removeVolume(_ name: String, force: Bool) async throws {
        try await worker.run { [self] in
            try store.write { db in
                _ = try VolumeStore.get(db, name)
                let users = try VolumeStore.users(db, name)
                if !users.isEmpty {
                    throw BerthError.conflict("remove \(name): volume is in use - [\(users.joined(separator: ", "))]")
                }
                try VolumeStore.delete(db, [name])
            }
            FileOps.removeTree(paths.volumes + "/" + name)
        }
    }

    /// `berth volume prune`: unused anonymous volumes (all unused ones with `all`).
    public func pruneVolumes(all: Bool) async throws -> (names: [String], bytes: Int64) {
        try await worker.run { [self] in
            let names = try store.write { db -> [String] in
                let names = try VolumeStore.unused(db, all: all)
                try VolumeStore.delete(db, names)
                return names
            }
            var bytes: Int64 = 0
            for n in names {
                bytes += FileOps.treeSize(paths.volumes + "/" + n)
                FileOps.removeTree(paths.volumes + "/" + n)
            }
            return (names, bytes)
        }
    }
}

extension ContainerService {
    /// Fills each new volume the container mounts from what the image has at the mount path
    /// (Docker's copy-up), once per volume: not for `nocopy` mounts, not for a volume that
    /// already has content. The copy is made beside the volume's `_data` and renamed over the
    /// empty folder, and only then is the volume marked populated: a kill mid-copy leaves an
    /// empty volume (and a staging folder the next start removes), copied again next time.
    /// A volume another live container has mounted is filled in place, entry by entry (the
    /// rename would swap the folder under that container's mount).
    func populateVolumes(_ c: ContainerRecord, mounts: [ContainerQueries.MountRow], rootfs: String) throws {
        for m in mounts where m.type == "volume" && !m.optionList.contains("nocopy") {
            guard let name = m.volumeName else { continue }
            // Two containers starting at once on one new volume: one copies, the other finds it done.
            try worker.named.with("volume:" + name) { try populateVolume(c, m, name: name, rootfs: rootfs) }
        }
    }

    private func populateVolume(_ c: ContainerRecord, _ m: ContainerQueries.MountRow, name: String, rootfs: String) throws {
        let (populated, inUse) = try store.read { db in
            (try VolumeStore.isPopulated(db, name), try VolumeStore.inUseByLive(db, name, except: c.id))
        }
        if populated { return }
        let dir = paths.volumes + "/" + name
        let data = dir + "/_data"
        let staging = dir + "/_copyup"
        FileOps.removeTree(staging)
        if !((try? FileManager.default.contentsOfDirectory(atPath: data).isEmpty) ?? false) {
            try store.write { db in try VolumeStore.markPopulated(db, name) }
            return
        }
        do {
            guard try VolumeCopyUp.copy(rootfs: rootfs, path: m.destination, to: staging) else { return }
            if inUse {
                for e in try FileManager.default.contentsOfDirectory(atPath: staging) {
                    let from = staging + "/" + e, to = data + "/" + e
                    guard Glibc.rename(from, to) == 0 else { throw BerthError.posix("move \(e) into volume \(name)") }
                }
                FileOps.removeTree(staging)
            } else {
                // rename(2) replaces an empty directory with another in one step.
                guard Glibc.rename(staging, data) == 0 else { throw BerthError.posix("rename \(staging)") }
            }
            FileOps.syncDirectory(dir)
        } catch {
            FileOps.removeTree(staging)
            throw BerthError(BerthError.from(error).code, "copy \(m.destination) of the image into volume \(name): \(BerthError.from(error).message)")
        }
        try store.write { db in try VolumeStore.markPopulated(db, name) }
    }
}

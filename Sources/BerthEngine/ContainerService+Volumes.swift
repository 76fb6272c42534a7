import BerthAPI
import BerthCore
import BerthStore
import Foundation

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

import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// Filters accepted by `image prune`.
public struct ImagePruneFilters: Sendable {
    public var until: Int64?
    public var labels: [(key: String, value: String?)] = []
    public var notLabels: [(key: String, value: String?)] = []
    public init() {}
}

extension ImageService {
    /// `berth rmi`: untags while other names remain, else deletes the image and the layers no
    /// other image uses.
    public func remove(_ name: String, force: Bool, prune: Bool = true) async throws -> [ImageDeleteItem] {
        try await mutate { [self] in
            var files: [String] = []
            let out = try store.write { db -> [ImageDeleteItem] in
                let match = try ImageResolver.resolve(db, name)
                let id = match.imageID
                let tags = try ImageStore.tags(db, imageID: id)
                let now = Clock.nowNanos()
                if case .tag(let tagName, _) = match, tags.count > 1 {
                    return [try untag(db, name: tagName, imageID: id, now: now)]
                }
                if case .id = match, tags.count > 1, !force {
                    throw BerthError.conflict(
                        "conflict: unable to delete \(Identifier.short(id)) (must be forced) - image is referenced in multiple repositories")
                }
                let users = try ImageStore.users(db, imageID: id)
                if let running = users.first(where: { [.running, .paused, .restarting].contains($0.state) }) {
                    throw BerthError.conflict(
                        "conflict: unable to delete \(Identifier.short(id)) (cannot be forced) - image is being used by running container \(Identifier.short(running.id))"
                    )
                }
                if let stopped = users.first, !force {
                    throw BerthError.conflict(
                        "conflict: unable to delete \(Identifier.short(id)) (must be forced) - image is being used by stopped container \(Identifier.short(stopped.id))"
                    )
                }
                let children = try ImageStore.hasChildren(db, id: id)
                if case .id = match, children {
                    throw BerthError.conflict(
                        "conflict: unable to delete \(Identifier.short(id)) (cannot be forced) - image has dependent child images")
                }
                var items: [ImageDeleteItem] = []
                for t in tags { items.append(try untag(db, name: t, imageID: id, now: now)) }
                // Images built on it still need it: kept, untagged (Docker's rule).
                if children { return items }
                // A stopped container still needs the image's layers: keep it, untagged.
                if !users.isEmpty { return items }
                let parent = try ImageStore.parent(db, id: id)
                let (deleted, paths, _) = try deleteImage(db, id: id, now: now)
                files += paths
                items += deleted
                if prune {
                    let (more, paths, _) = try deleteUnusedParents(db, from: parent, now: now)
                    files += paths
                    items += more
                }
                return items
            }
            removeFiles(files)
            return out
        }
    }

    /// `berth image prune`: dangling images (all unused ones with `all`), none used by a container.
    public func prune(all: Bool, filters: ImagePruneFilters = ImagePruneFilters()) async throws -> ImagePruneReport {
        try await mutate { [self] in
            var files: [String] = []
            let report = try store.write { db -> ImagePruneReport in
                let ids = try ImageStore.prunable(db, all: all, until: filters.until, labels: filters.labels, notLabels: filters.notLabels)
                let now = Clock.nowNanos()
                var items: [ImageDeleteItem] = []
                var reclaimed: Int64 = 0
                for id in ids {
                    for t in try ImageStore.tags(db, imageID: id) {
                        items.append(try untag(db, name: t, imageID: id, now: now))
                    }
                    let parent = try ImageStore.parent(db, id: id)
                    let (deleted, paths, bytes) = try deleteImage(db, id: id, now: now)
                    let (more, parentPaths, parentBytes) = try deleteUnusedParents(db, from: parent, now: now)
                    items += deleted + more
                    files += paths + parentPaths
                    reclaimed += bytes + parentBytes
                }
                try Events.append(
                    db, type: "image", action: "prune", actorID: "",
                    attributes: ["reclaimed": String(reclaimed)], time: now)
                return ImagePruneReport(ImagesDeleted: items.isEmpty ? nil : items, SpaceReclaimed: reclaimed)
            }
            removeFiles(files)
            var out = report
            out.SpaceReclaimed += store.reclaimSpace()
            return out
        }
    }

    func untag(_ db: StoreTransaction, name: String, imageID: String, now: Int64) throws -> ImageDeleteItem {
        try ImageStore.deleteTag(db, name: name)
        let familiar = (try? Reference.parse(name).familiarString) ?? name
        try Events.append(
            db, type: "image", action: "untag", actorID: imageID, actorName: familiar,
            attributes: ["name": familiar], time: now)
        return ImageDeleteItem(untagged: familiar)
    }

    /// Docker's rule after an image goes: its untagged parents that nothing else uses (build
    /// steps, a commit's base) go with it, nearest first. Returns as `deleteImage` does.
    func deleteUnusedParents(_ db: StoreTransaction, from first: String?, now: Int64) throws -> ([ImageDeleteItem], [String], Int64) {
        var items: [ImageDeleteItem] = []
        var files: [String] = []
        var bytes: Int64 = 0
        var parent = first
        while let p = parent, try ImageStore.isUnusedParent(db, id: p) {
            parent = try ImageStore.parent(db, id: p)
            let (more, paths, freed) = try deleteImage(db, id: p, now: now)
            items += more
            files += paths
            bytes += freed
        }
        return (items, files, bytes)
    }

    /// Deletes the image row and every layer and blob no other image uses. Returns the lines,
    /// the files to remove once the transaction has committed, and the bytes freed.
    func deleteImage(_ db: StoreTransaction, id: String, now: Int64) throws -> ([ImageDeleteItem], [String], Int64) {
        let gone = try ImageStore.delete(db, id: id)
        try Events.append(db, type: "image", action: "delete", actorID: id, time: now)
        var items = [ImageDeleteItem(deleted: id)]
        var files: [String] = []
        var freed: Int64 = 0
        for l in gone.layers {
            items.append(ImageDeleteItem(deleted: l.chainID))
            files.append(paths.layerDir(String(l.chainID.dropFirst(7))))
            freed += l.size
        }
        files += gone.blobs.map { paths.blob(String($0.dropFirst(7))) }
        return (items, files, freed)
    }

    /// Removes files whose rows are gone. A crash before this leaves orphans that `recover()` removes.
    func removeFiles(_ files: [String]) {
        for f in files { FileOps.removeTree(f) }
    }
}

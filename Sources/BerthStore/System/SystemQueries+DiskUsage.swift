import BerthAPI
import BerthCore
import Foundation
import GRDB

extension SystemQueries {
    /// `system df` / GET /system/df from the rows, with `dirSize` measuring the folders only the
    /// filesystem knows (containers' writable layers, volumes). Layers shared by several images
    /// count once; an image's `SharedSize` is what it shares, the rest is its own.
    public static func diskUsage(
        _ tx: StoreTransaction, upperDir: (String) -> String, dirSize: (String) -> Int64, now: Int64 = Clock.nowNanos()
    ) throws -> SystemDataUsage {
        let db = tx.db
        var layerSize: [String: Int64] = [:]
        var users: [String: Int] = [:]
        var layersOf: [String: [String]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT il.image_id, l.chain_id, l.size FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id") {
            let chain: String = r["chain_id"]
            layerSize[chain] = r["size"]
            users[chain, default: 0] += 1
            layersOf[r["image_id"], default: []].append(chain)
        }
        let total = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM layers") ?? 0
        func shared(_ id: String) -> Int64 {
            (layersOf[id] ?? []).filter { (users[$0] ?? 0) > 1 }.reduce(0) { $0 + (layerSize[$1] ?? 0) }
        }
        let listings = try ImageQueries.list(tx)
        let images = listings.filter { !$0.intermediate }.map { l -> ImageSummary in
            var s = ImageSummary(l)
            s.SharedSize = shared(l.id)
            return s
        }
        let cached = Set(try String.fetchAll(db, sql: "SELECT DISTINCT image_id FROM build_cache"))
        let buildCache = listings.filter { $0.intermediate || ($0.tags.isEmpty && cached.contains($0.id)) }.map { l in
            BuildCacheRecord(
                ID: l.id, Type: "regular", Description: "build step", InUse: l.containers > 0, Shared: shared(l.id) > 0,
                Size: l.size - shared(l.id), CreatedAt: Clock.rfc3339Nano(l.addedAt), LastUsedAt: nil, UsageCount: 0)
        }
        let imageSize = Dictionary(uniqueKeysWithValues: listings.map { ($0.id, $0.size) })
        let rows = try ContainerListQuery(all: true, filters: [:], last: nil).run(tx) { [$0] }
        let labels = try ContainerQueries.labels(tx, ids: rows.map(\.id))
        let containers = try rows.map { c -> ContainerSummary in
            var s = ContainerSummary(c, labels: labels[c.id] ?? [:], now: now)
            s.Mounts = try ContainerQueries.mounts(tx, id: c.id).map(ContainerInspect.MountPoint.init)
            let rw = dirSize(upperDir(c.id))
            s.SizeRw = rw
            s.SizeRootFs = rw + (imageSize[c.imageID] ?? 0)
            return s
        }
        let volumes = try VolumeStore.list(tx).map { v -> Volume in
            var out = v
            out.UsageData = .init(Size: dirSize(v.Mountpoint), RefCount: Int64(try VolumeStore.users(tx, v.Name).count))
            return out
        }
        return SystemDataUsage(LayersSize: total, Images: images, Containers: containers, Volumes: volumes, BuildCache: buildCache)
    }
}

import BerthAPI
import BerthCore
import Foundation
import GRDB

extension ImageQueries {
    /// `image history`: the image config's history, newest first, each step that is an image
    /// in the store (the image itself, its recorded parents) named by id, the rest `<missing>`.
    public static func history(_ tx: StoreTransaction, id: String) throws -> [ImageHistoryItem] {
        let db = tx.db
        struct Entry: Decodable {
            var created: String?
            var created_by: String?
            var comment: String?
            var empty_layer: Bool?
        }
        struct Config: Decodable { var history: [Entry]? }
        guard let json = try String.fetchOne(db, sql: "SELECT config_json FROM images WHERE id = ?", arguments: [id]) else {
            throw BerthError.notFound("No such image: \(id)")
        }
        let entries = (try? JSONDecoder().decode(Config.self, from: Data(json.utf8)))?.history ?? []
        let sizes = try Int64.fetchAll(
            db,
            sql: """
                SELECT l.size FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id
                WHERE il.image_id = ? ORDER BY il.position
                """, arguments: [id])
        // The image and its recorded parents, by how many history entries each has.
        var byCount: [Int: String] = [:]
        var cur: String? = id
        var seen: Set<String> = []
        while let c = cur, !seen.contains(c),
            let r = try Row.fetchOne(db, sql: "SELECT config_json, parent_id FROM images WHERE id = ?", arguments: [c])
        {
            seen.insert(c)
            let n = (try? JSONDecoder().decode(Config.self, from: Data((r["config_json"] as String).utf8)))?.history?.count ?? 0
            if byCount[n] == nil { byCount[n] = c }
            cur = r["parent_id"]
        }
        var layerIndex = 0
        var out: [ImageHistoryItem] = []
        for (i, e) in entries.enumerated() {
            var size: Int64 = 0
            if e.empty_layer != true {
                size = layerIndex < sizes.count ? sizes[layerIndex] : 0
                layerIndex += 1
            }
            let stepID = byCount[i + 1]
            let tags = try stepID.map { try ImageStore.tags(tx, imageID: $0).map(ImageName.familiarTag) }
            out.append(
                ImageHistoryItem(
                    Id: stepID ?? "<missing>", Created: (e.created.flatMap { Clock.parseRFC3339($0) } ?? 0) / 1_000_000_000,
                    CreatedBy: e.created_by ?? "", Tags: tags.flatMap { $0.isEmpty ? nil : $0 }, Size: size,
                    Comment: e.comment ?? ""))
        }
        if out.isEmpty {
            // An image without history (some imports): one line for its layers, as Docker shows.
            out.append(
                ImageHistoryItem(Id: id, Created: 0, CreatedBy: "", Tags: nil, Size: sizes.reduce(0, +), Comment: ""))
        }
        return out.reversed()
    }
}

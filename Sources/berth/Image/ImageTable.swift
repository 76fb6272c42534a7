import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// Docker's image table and its `--format` forms.
enum ImageTable {
    static let headers = [
        "ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
        "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
        "Containers": "CONTAINERS", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
        "VirtualSize": "VIRTUAL SIZE",
    ]

    static func rows(_ images: [ImageListing], noTrunc: Bool, now: Int64, withJSON: Bool) -> [TemplateRow] {
        var out: [TemplateRow] = []
        for img in images {
            let id = noTrunc ? img.id : Identifier.short(img.id)
            let size = Human.size(img.size, precision: 3)
            let digest = img.digests.first.map { String($0[$0.firstIndex(of: "@")!...].dropFirst()) } ?? "<none>"
            let createdSince = Human.duration(nanos: now - img.created) + " ago"
            let createdAt = goTimeString(img.created)
            let names: [(String, String)] =
                img.tags.isEmpty
                ? [("<none>", "<none>")]
                : img.tags.map { (ImageName.familiar($0.repository), $0.tag) }
            for (repo, tag) in names {
                let fields = [
                    "ID": id, "Repository": repo, "Tag": tag, "Digest": digest,
                    "CreatedSince": createdSince, "CreatedAt": createdAt, "Size": size,
                    "Containers": String(img.containers), "SharedSize": "N/A", "UniqueSize": "N/A",
                    "VirtualSize": Human.size(img.size),
                ]
                let json = withJSON ? String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self) : ""
                out.append(TemplateRow(fields: fields, labels: img.labels, json: json))
            }
        }
        return out
    }

    /// The default table, built straight from the listings (the hot path of `berth images`).
    static func defaultTable(_ images: [ImageListing], noTrunc: Bool, digests: Bool, now: Int64) -> String {
        var rows: [[String]] = [
            digests
                ? ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"]
                : ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
        ]
        rows.reserveCapacity(images.count + 1)
        for img in images {
            let id = noTrunc ? img.id : Identifier.short(img.id)
            let created = Human.duration(nanos: now - img.created) + " ago"
            let size = Human.size(img.size, precision: 3)
            let digest = img.digests.first.map { String($0[$0.firstIndex(of: "@")!...].dropFirst()) } ?? "<none>"
            if img.tags.isEmpty {
                rows.append(digests ? ["<none>", "<none>", digest, id, created, size] : ["<none>", "<none>", id, created, size])
            }
            for t in img.tags {
                let repo = ImageName.familiar(t.repository)
                rows.append(digests ? [repo, t.tag, digest, id, created, size] : [repo, t.tag, id, created, size])
            }
        }
        return TabWriter.format(rows: rows)
    }

    /// Go's time.Time.String() in UTC: `2024-01-02 15:04:05 +0000 UTC`.
    static func goTimeString(_ ns: Int64) -> String {
        let s = Clock.rfc3339Nano(ns - ns % 1_000_000_000)
        return s.prefix(10) + " " + s.dropFirst(11).prefix(8) + " +0000 UTC"
    }

    static func render(_ images: [ImageListing], quiet: Bool, noTrunc: Bool, digests: Bool, format: String?) throws -> String {
        if quiet {
            var out = ""
            for img in images {
                let id = noTrunc ? img.id : Identifier.short(img.id)
                for _ in 0..<max(1, img.tags.count) { out += id + "\n" }
            }
            return out
        }
        if ListFormat.isDefault(format) {
            return defaultTable(images, noTrunc: noTrunc, digests: digests, now: Clock.nowNanos())
        }
        let output = ListFormat(
            defaultTable: digests
                ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
            headers: headers)
        let needsJSON = output.resolve(format).contains("json")
        return try output.render(rows(images, noTrunc: noTrunc, now: Clock.nowNanos(), withJSON: needsJSON), format: format)
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth history` / `berth image history`: Docker's image history, read from the store.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the history of an image.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?
    @Option(name: .long, help: "Print sizes and dates in human readable format.") var human: Bool = true
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Argument(help: "IMAGE", completion: Completions.images) var image: String

    func run() throws {
        let items = try global.store().read { db in
            try ImageQueries.history(db, id: try ImageResolver.resolve(db, image).imageID)
        }
        if quiet {
            Out.write(items.map { (noTrunc || $0.Id == "<missing>" ? $0.Id : Identifier.short($0.Id)) + "\n" }.joined())
            return
        }
        Out.write(try Self.output.render(Self.rows(items, human: human, noTrunc: noTrunc, now: Clock.nowNanos()), format: format))
    }

    static func rows(_ items: [ImageHistoryItem], human: Bool, noTrunc: Bool, now: Int64) -> [TemplateRow] {
        items.map { h in
            var by = h.CreatedBy.replacingOccurrences(of: "\t", with: " ")
            if !noTrunc && by.count > 45 { by = String(by.prefix(44)) + "…" }
            let created = h.Created * 1_000_000_000
            let fields = [
                "ID": noTrunc || h.Id == "<missing>" ? h.Id : Identifier.short(h.Id),
                "CreatedSince": human ? Human.duration(nanos: now - created) + " ago" : Clock.rfc3339Nano(created),
                "CreatedAt": Clock.rfc3339Nano(created),
                "CreatedBy": by, "Size": human ? Human.size(h.Size, precision: 3) : String(h.Size), "Comment": h.Comment,
            ]
            return TemplateRow(
                fields: fields, labels: [:], json: String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self))
        }
    }

    static let output = ListFormat(
        defaultTable: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        headers: ["ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"])
}

import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// Renders rows through a template; `table …` adds a header and aligns columns.
enum Table {
    static func render(_ rows: [TemplateRow], format: String, headers: [String: String]) throws -> String {
        if format.hasPrefix("table") {
            let body = String(format.dropFirst(5)).trimmingCharacters(in: .whitespaces)
            let t = try GoTemplate(body)
            var headerFields: [String: String] = [:]
            for f in t.fieldNames { headerFields[f] = headers[f] ?? f.uppercased() }
            let header = try t.render(TemplateRow(fields: headerFields, json: ""))
            let lines = [header] + (try rows.map { try t.render($0) })
            return TabWriter.format(lines)
        }
        let t = try GoTemplate(format)
        return try rows.map { try t.render($0) + "\n" }.joined()
    }
}

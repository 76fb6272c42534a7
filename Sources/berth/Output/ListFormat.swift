import BerthCore

/// One list command's output (ps, images, volume ls, container history): its default table and
/// column headers. Docker's `--format` rules live here once: none or `table` is the default
/// table, `json` one JSON object per line, `table …` a template with a header row, anything
/// else a template per row.
struct ListFormat {
    /// The default, as a `table …` template.
    let defaultTable: String
    /// Header text per template field; other fields are shown upper-cased.
    let headers: [String: String]

    /// The template `format` stands for.
    func resolve(_ format: String?) -> String {
        switch format {
        case nil, "table": return defaultTable
        case "json": return "{{json .}}"
        case let f?: return f
        }
    }

    /// True when `format` asks for the default table (the commands' hand-written fast paths).
    static func isDefault(_ format: String?) -> Bool { format == nil || format == "table" }

    func render(_ rows: [TemplateRow], format: String?) throws -> String {
        try Table.render(rows, format: resolve(format), headers: headers)
    }
}

import ArgumentParser
import BerthCore
import BerthStore
import Foundation

/// `berth sql "SELECT …"`: read-only SQL over the views containers, events, runs, images,
/// layers, ports, mounts (columns in the README).
struct SQL: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sql", abstract: "Query berth's database (read-only) with SQL.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Output format: table, json or csv.") var format: String = "table"
    @Argument(help: "SQL statement") var statement: String

    func run() throws {
        guard ["table", "json", "csv"].contains(format) else {
            throw CLIError(message: "invalid format \(format): use table, json or csv", code: 125)
        }
        let result: SQLConsole.Result
        do { result = try SQLConsole.run(path: global.paths.database, statement) } catch let e as BerthError {
            throw CLIError(message: "Error: " + e.message)
        }
        func text(_ v: SQLValue) -> String {
            switch v {
            case .null: return ""
            case .integer(let i): return String(i)
            case .real(let d): return String(d)
            case .text(let s): return s
            case .blob(let b): return "x'" + b.map { String(format: "%02x", $0) }.joined() + "'"
            }
        }
        switch format {
        case "json":
            let objects: [[String: Any]] = result.rows.map { row in
                var o: [String: Any] = [:]
                for (i, v) in row.enumerated() {
                    switch v {
                    case .null: o[result.columns[i]] = NSNull()
                    case .integer(let n): o[result.columns[i]] = n
                    case .real(let d): o[result.columns[i]] = d
                    default: o[result.columns[i]] = text(v)
                    }
                }
                return o
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes])
            Out.print(String(decoding: data, as: UTF8.self))
        case "csv":
            func field(_ s: String) -> String {
                s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            var out = result.columns.map(field).joined(separator: ",") + "\n"
            for r in result.rows { out += r.map { field(text($0)) }.joined(separator: ",") + "\n" }
            Out.write(out)
        default:
            let rows = [result.columns.map { $0.uppercased() }] + result.rows.map { $0.map(text) }
            Out.write(TabWriter.format(rows: rows, minWidth: 4, padding: 3))
        }
    }
}

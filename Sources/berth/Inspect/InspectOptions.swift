import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

struct InspectOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Format output using a Go template or json.") var format: String?
    @Argument(help: "IMAGE") var names: [String] = []

    func run(imagesOnly: Bool = false) throws {
        guard !names.isEmpty else { throw CLIError(message: "\"berth inspect\" requires at least 1 argument.") }
        let store = try global.store()
        let paths = global.paths
        var values: [JSONValue] = []
        var missing: [String] = []
        try store.read { db in
            for n in names {
                if !imagesOnly, let i = try? ContainerInspect.read(db, n, containersDir: paths.containers) {
                    values.append(try PrettyJSON.value(i))
                    continue
                }
                guard let m = try ImageResolver.find(db, n), let d = try ImageQueries.detail(db, id: m.imageID) else {
                    missing.append(n)
                    continue
                }
                values.append(try PrettyJSON.value(ImageInspect(d) { paths.layerDiff(String($0.dropFirst(7))) }))
            }
        }
        try Self.print(values, format: format)
        if !missing.isEmpty {
            for m in missing { Out.err("Error: No such object: \(m)") }
            throw ExitCode(1)
        }
    }
}

extension InspectOptions {
    /// `read` for each name; one the store does not have is reported with `missing(name)`.
    static func collect(
        _ names: [String], read: (String) throws -> any Encodable, missing: (String) -> String
    ) throws -> (values: [JSONValue], anyMissing: Bool) {
        var values: [JSONValue] = []
        var anyMissing = false
        for n in names {
            do {
                values.append(try PrettyJSON.value(try read(n)))
            } catch let e as BerthError where e.code == .notFound {
                Out.err(missing(n))
                anyMissing = true
            }
        }
        return (values, anyMissing)
    }

    /// Inspect's output for every kind of object: a Go template per object, or the JSON array.
    static func print(_ values: [JSONValue], format: String?) throws {
        guard let format, format != "json" else {
            Out.print(PrettyJSON.render(.array(values)))
            return
        }
        let t = try GoTemplate(format)
        for v in values {
            guard case .object(let o) = v else { continue }
            var fields: [String: String] = [:], jsonFields: [String: String] = [:]
            flatten(.object(o), prefix: "", into: &fields, json: &jsonFields)
            // Fields Docker's structs always have, even when empty (a Go nil pointer).
            if fields["State.Status"] != nil && fields["State.Health"] == nil {
                fields["State.Health"] = "<nil>"
                jsonFields["State.Health"] = "null"
            }
            var labels: [String: String] = [:]
            if case .object(let cfg)? = o["Config"], case .object(let l)? = cfg["Labels"] {
                for (k, x) in l { if case .string(let s) = x { labels[k] = s } }
            }
            Out.print(
                try t.render(
                    TemplateRow(
                        fields: fields, labels: labels,
                        json: String(decoding: try JSONEncoder().encode(v), as: UTF8.self),
                        jsonFields: jsonFields)))
        }
    }

    /// Every value under its dotted path (`State.Status`), printed as Go's template would
    /// print it; non-strings also as JSON for `{{json .X}}`.
    static func flatten(_ v: JSONValue, prefix: String, into fields: inout [String: String], json: inout [String: String]) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes]
        let text = String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self)
        switch v {
        case .object(let o):
            if !prefix.isEmpty {
                fields[prefix] = "map[" + o.keys.sorted().map { k in k + ":" + Self.goPrint(o[k]!) }.joined(separator: " ") + "]"; json[prefix] = text
            }
            for (k, x) in o { flatten(x, prefix: prefix.isEmpty ? k : prefix + "." + k, into: &fields, json: &json) }
        case .string(let s):
            fields[prefix] = s
        case .array(let a):
            fields[prefix] = goPrint(v)
            json[prefix] = text
            // Each element too, for `{{index .Args 0}}`.
            for (i, x) in a.enumerated() { flatten(x, prefix: prefix + "." + String(i), into: &fields, json: &json) }
        default:
            fields[prefix] = goPrint(v)
            json[prefix] = text
        }
    }

    static func goPrint(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(goPrint).joined(separator: " ") + "]"
        case .object(let o): return "map[" + o.keys.sorted().map { k in k + ":" + goPrint(o[k]!) }.joined(separator: " ") + "]"
        }
    }
}

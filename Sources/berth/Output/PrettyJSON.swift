import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// Docker's JSON indentation for inspect: four spaces, keys sorted.
enum PrettyJSON {
    static func render(_ v: JSONValue, indent: String = "") -> String {
        let inner = indent + "    "
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number:
            let d = (try? JSONEncoder().encode(v)) ?? Data()
            return String(decoding: d, as: UTF8.self)
        case .string(let s):
            let e = JSONEncoder()
            e.outputFormatting = [.withoutEscapingSlashes]
            return String(decoding: (try? e.encode(s)) ?? Data(), as: UTF8.self)
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[\n" + a.map { inner + render($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            return "{\n"
                + o.keys.sorted().map { k in
                    inner + render(.string(k)) + ": " + render(o[k]!, indent: inner)
                }.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    static func value<T: Encodable>(_ v: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(v))
    }
}

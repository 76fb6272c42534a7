import ArgumentParser
import BerthAPI
import BerthCore
import BerthStore
import Foundation

/// Options every command takes (also from BERTH_ROOT, BERTH_RUNROOT, BERTH_HOST).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "berth's root folder (BERTH_ROOT, default /var/lib/berth).")
    var root: String?

    @Option(name: .long, help: "berth's runtime folder (BERTH_RUNROOT, default /run/berth).")
    var runroot: String?

    @Option(name: [.customShort("H"), .long], help: "berthd's socket, unix:///path (BERTH_HOST).")
    var host: String?

    var paths: BerthPaths { BerthPaths.resolve(root: root, runroot: runroot) }

    func socketPath() throws -> String {
        if let h = host ?? ProcessInfo.processInfo.environment["BERTH_HOST"] { return try HostAddress.socketPath(h) }
        return paths.defaultSocket
    }

    /// A client for changes; berthd does every write.
    func client() throws -> APIClient {
        let p = paths
        var hint = "berthd"
        if p.root != BerthPaths.defaultRoot { hint += " --root \(p.root)" }
        if p.runroot != BerthPaths.defaultRunroot { hint += " --runroot \(p.runroot)" }
        let socket = try socketPath()
        if socket != p.defaultSocket { hint += " -H unix://\(socket)" }
        return APIClient(socketPath: socket, startHint: hint)
    }

    /// The database for queries: read-only, answered without berthd.
    func store() throws -> Store { try Store.openForQuery(path: paths.database) }
}

/// An error the CLI prints as is, with its exit code.
struct CLIError: Error {
    var message: String
    var code: Int32 = 1
}

/// Runs a daemon call, giving its errors Docker's "Error response from daemon:" prefix.
func daemon<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as BerthError where e.code != .unavailable {
        throw CLIError(message: "Error response from daemon: " + e.message)
    }
}

enum Out {
    static func print(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }

    static func write(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    static func err(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    /// Asks a yes/no question on the terminal; anything but y/yes is no.
    static func confirm(_ question: String) -> Bool {
        write(question + " [y/N] ")
        guard let line = readLine() else { return false }
        let a = line.trimmingCharacters(in: .whitespaces).lowercased()
        return a == "y" || a == "yes"
    }
}

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
            return "{\n" + o.keys.sorted().map { k in
                inner + render(.string(k)) + ": " + render(o[k]!, indent: inner)
            }.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    static func value<T: Encodable>(_ v: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(v))
    }
}

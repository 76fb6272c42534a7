import BerthCore
import Foundation

extension ComposeService {
    static func bool(_ v: YamlValue?) -> Bool? {
        guard let s = v?.string?.lowercased() else { return nil }
        if ["true", "yes", "on", "1"].contains(s) { return true }
        if ["false", "no", "off", "0"].contains(s) { return false }
        return nil
    }

    /// A string or a list of strings.
    static func stringList(_ v: YamlValue?, what: String) throws -> [String] {
        guard let v else { return [] }
        switch v {
        case .null: return []
        case .string(let s, _): return [s]
        case .list(let l, _):
            return try l.map { x in
                guard let s = x.string else { throw BerthError.invalid("\(x.place): \(what) must hold strings") }
                return s
            }
        case .map: throw BerthError.invalid("\(v.place): \(what) must be a string or a list")
        }
    }

    /// A mapping, or a list of `key=value`.
    static func stringMap(_ v: YamlValue?, what: String) throws -> [String: String] {
        guard let v else { return [:] }
        if let m = v.pairs {
            var out: [String: String] = [:]
            for (k, x) in m { out[k] = x.string ?? "" }
            return out
        }
        var out: [String: String] = [:]
        for item in try stringList(v, what: what) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    /// `command:` as a shell string (split as a shell would, quotes honoured) or a list.
    static func command(_ v: YamlValue?, what: String) throws -> [String]? {
        guard let v else { return nil }
        if case .null = v { return nil }
        if let s = v.string { return try ShellWords.split(s, what: what) }
        return try stringList(v, what: what)
    }

    /// Compose durations: Go's forms (`1m30s`, `500ms`), a bare number is seconds.
    static func duration(_ v: YamlValue?, _ what: String) throws -> Int64? {
        guard let s = v?.string else { return nil }
        if let n = Double(s) {
            // Numbers from a file: out of range (1e300, nan) is an error, not a trap.
            guard let ns = Checked.int64(n * 1e9), ns >= 0 else { throw BerthError.invalid("\(v!.place): \(what): invalid duration \(s)") }
            return ns
        }
        guard let d = Clock.parseGoDuration(s) else { throw BerthError.invalid("\(v!.place): \(what): invalid duration \(s)") }
        return d
    }

    /// `512m`, `1g`, `1024` (bytes).
    static func bytes(_ v: YamlValue?, _ what: String) throws -> Int64? {
        guard let s = v?.string?.lowercased() else { return nil }
        let units: [(String, Int64)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (u, m) in units where s.hasSuffix(u) {
            if let n = Double(s.dropLast(u.count)), n >= 0, let b = Checked.int64(n * Double(m)) { return b }
        }
        if let n = Int64(s), n >= 0 { return n }
        throw BerthError.invalid("\(v!.place): \(what): invalid size \(s)")
    }

    /// Every port syntax: `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `8000-8001:80-81`, `::80`,
    /// a bare number, and the long form.
    static func ports(_ v: YamlValue, at: String) throws -> [Port] {
        if v.pairs != nil {
            guard let target = v["target"]?.string else { throw BerthError.invalid("\(v.place): \(at).ports: target is required") }
            return [Port(hostIP: v["host_ip"]?.string, hostPort: v["published"]?.string, containerPort: target, proto: v["protocol"]?.string ?? "tcp")]
        }
        guard var s = v.string else { throw BerthError.invalid("\(v.place): \(at).ports must hold strings or mappings") }
        var proto = "tcp"
        if let slash = s.lastIndex(of: "/") { proto = String(s[s.index(after: slash)...]); s = String(s[..<slash]) }
        guard ["tcp", "udp", "sctp"].contains(proto) else { throw BerthError.invalid("\(v.place): \(at).ports: invalid protocol \(proto)") }
        var ip: String?
        if s.hasPrefix("[") , let close = s.firstIndex(of: "]") {
            ip = String(s[s.index(after: s.startIndex)..<close])
            s = String(s[s.index(after: close)...].dropFirst())
        }
        var parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3 { ip = parts.removeFirst() }
        guard parts.count <= 2, let container = parts.last, !container.isEmpty else {
            throw BerthError.invalid("\(v.place): \(at).ports: invalid port \(v.string!)")
        }
        let host = parts.count == 2 ? parts[0] : nil
        func range(_ r: String) throws -> [Int] {
            let b = r.split(separator: "-").map { Int($0) }
            guard (1...2).contains(b.count), b.allSatisfy({ $0 != nil && (0...65535).contains($0!) }), b.last!! >= b.first!! else {
                throw BerthError.invalid("\(v.place): \(at).ports: invalid port \(v.string!)")
            }
            return Array(b.first!!...b.last!!)
        }
        let cs = try range(container)
        let hs = try host.flatMap { $0.isEmpty ? nil : try range($0) }
        if let hs, hs.count != cs.count && hs.count != 1 {
            throw BerthError.invalid("\(v.place): \(at).ports: host and container ranges differ in size: \(v.string!)")
        }
        return cs.enumerated().map { i, c in
            let h: String? = hs.map { $0.count == 1 ? (cs.count == 1 ? String($0[0]) : "\($0[0])") : String($0[i]) }
            return Port(hostIP: ip.flatMap { $0.isEmpty ? nil : $0 }, hostPort: h, containerPort: String(c), proto: proto)
        }
    }

    /// `name:/path[:ro]`, `./dir:/path`, `/path` (anonymous), or the long form.
    static func mount(_ v: YamlValue, at: String, projectDir: String) throws -> Mount {
        if v.pairs != nil {
            let type = v["type"]?.string ?? "volume"
            guard ["volume", "bind", "tmpfs"].contains(type), let target = v["target"]?.string else {
                throw BerthError.invalid("\(v.place): \(at).volumes: a mount needs a type (volume, bind, tmpfs) and a target")
            }
            var src = v["source"]?.string ?? ""
            if type == "bind" { src = ComposeLoader.absolute(src, projectDir) }
            return Mount(type: type, source: src, target: target, readOnly: bool(v["read_only"]) ?? false,
                         noCopy: bool(v["volume"]?["nocopy"]) ?? false, createHostPath: bool(v["bind"]?["create_host_path"]) ?? false)
        }
        guard let s = v.string else { throw BerthError.invalid("\(v.place): \(at).volumes must hold strings or mappings") }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw BerthError.invalid("\(v.place): \(at).volumes: invalid volume \(s)")
        }
        if parts.count == 1 { return Mount(type: "volume", source: "", target: parts[0]) }
        let opts = parts.count == 3 ? parts[2].split(separator: ",").map(String.init) : []
        let src = parts[0]
        let isPath = src.hasPrefix("/") || src.hasPrefix(".") || src.hasPrefix("~")
        return Mount(
            type: isPath ? "bind" : "volume", source: isPath ? ComposeLoader.absolute(src, projectDir) : src, target: parts[1],
            readOnly: opts.contains("ro"), noCopy: opts.contains("nocopy"), createHostPath: isPath)
    }
}

/// A shell-like split of a command string: spaces separate, quotes group, backslash escapes.
public enum ShellWords {
    public static func split(_ s: String, what: String) throws -> [String] {
        var out: [String] = [], cur = "", quote: Character?, escaped = false, any = false
        for c in s {
            if escaped { cur.append(c); escaped = false; continue }
            if c == "\\" && quote != "'" { escaped = true; continue }
            if let q = quote {
                if c == q { quote = nil } else { cur.append(c) }
                continue
            }
            if c == "\"" || c == "'" { quote = c; any = true; continue }
            if c == " " || c == "\t" || c == "\n" {
                if !cur.isEmpty || any { out.append(cur); cur = ""; any = false }
                continue
            }
            cur.append(c)
        }
        guard quote == nil else { throw BerthError.invalid("\(what): unterminated quote in \(s)") }
        if !cur.isEmpty || any { out.append(cur) }
        return out
    }
}

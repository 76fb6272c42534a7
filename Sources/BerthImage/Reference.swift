import BerthCore

/// A Docker image reference, normalised as Docker does: `busybox` is
/// `docker.io/library/busybox:latest`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    public let domain: String
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// Parses and normalises `[domain/]path[:tag][@digest]`.
    public static func parse(_ text: String) throws -> Reference {
        func bad(_ why: String = "") -> BerthError {
            BerthError.invalid("invalid reference format" + (why.isEmpty ? "" : ": " + why))
        }
        guard !text.isEmpty, text.count <= 512 else { throw bad() }
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            digest = try? Digest(parsing: String(rest[rest.index(after: at)...]))
            guard digest != nil else { throw bad() }
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard isValidTag(t) else { throw bad() }
            tag = t
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty, !components.contains(where: \.isEmpty) else { throw bad() }
        var domain = defaultDomain
        if components.count > 1, let first = components.first,
            first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase)
        {
            guard isValidDomain(first) else { throw bad() }
            domain = first
            components.removeFirst()
        }
        for c in components {
            if c.contains(where: \.isUppercase) {
                throw bad("repository name (\(components.joined(separator: "/"))) must be lowercase")
            }
            guard isValidComponent(c) else { throw bad() }
        }
        if domain == defaultDomain && components.count == 1 { components.insert("library", at: 0) }
        let path = components.joined(separator: "/")
        guard domain.count + 1 + path.count <= 255 else { throw bad("repository name must not be more than 255 characters") }
        return Reference(domain: domain, path: path, tag: tag, digest: digest)
    }

    /// Like `parse`, adding `:latest` when neither tag nor digest is given.
    public static func parseTagged(_ text: String) throws -> Reference {
        let r = try parse(text)
        if r.tag == nil && r.digest == nil { return r.withTag(defaultTag) }
        return r
    }

    public func withTag(_ t: String) -> Reference { Reference(domain: domain, path: path, tag: t, digest: digest) }

    /// `docker.io/library/busybox`.
    public var name: String { domain + "/" + path }

    /// The short name Docker shows: `busybox`, `me/app`, `localhost:5000/app`.
    public var familiarName: String { ImageName.familiar(name) }

    /// The full normalised text.
    public var description: String {
        var s = name
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The familiar text: `busybox:latest`.
    public var familiarString: String {
        var s = familiarName
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    public static func isValidTag(_ t: String) -> Bool {
        guard let f = t.unicodeScalars.first, t.unicodeScalars.count <= 128 else { return false }
        func word(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_") }
        guard word(f) else { return false }
        return t.unicodeScalars.allSatisfy { word($0) || $0 == "." || $0 == "-" }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidComponent(_ c: String) -> Bool {
        let b = Array(c.utf8)
        func alnum(_ x: UInt8) -> Bool { (x >= 97 && x <= 122) || (x >= 48 && x <= 57) }
        guard let first = b.first, let last = b.last, alnum(first), alnum(last) else { return false }
        var i = 0
        while i < b.count {
            if alnum(b[i]) { i += 1; continue }
            // A separator run: ".", "_", "__" or one or more "-".
            var j = i
            while j < b.count && !alnum(b[j]) { j += 1 }
            let sep = String(decoding: b[i..<j], as: UTF8.self)
            guard sep == "." || sep == "_" || sep == "__" || sep.allSatisfy({ $0 == "-" }) else { return false }
            i = j
        }
        return true
    }

    static func isValidDomain(_ d: String) -> Bool {
        var host = Substring(d)
        if let colon = d.lastIndex(of: ":") {
            let port = d[d.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return false }
            host = d[..<colon]
        }
        guard !host.isEmpty else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.first != "-" && part.last != "-"
                && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}

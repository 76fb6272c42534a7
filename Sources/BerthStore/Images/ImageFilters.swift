import BerthCore
import Foundation
import Glibc

/// Docker's `images --filter` keys over listings: dangling, reference, label, before, since.
public struct ImageFilters: Sendable {
    public static let keys: Set<String> = ["dangling", "reference", "label", "before", "since", "until"]
    public var filters: [String: [String]]

    public init(_ filters: [String: [String]]) throws {
        for k in filters.keys where !Self.keys.contains(k) {
            throw BerthError.invalid("invalid filter '\(k)'")
        }
        for v in filters["dangling"] ?? [] where !["true", "false", "1", "0"].contains(v.lowercased()) {
            throw BerthError.invalid("invalid filter 'dangling=\(v)'")
        }
        self.filters = filters
    }

    /// Parses `-f k=v` flags.
    public init(flags: [String]) throws {
        var f: [String: [String]] = [:]
        for s in flags {
            guard let eq = s.firstIndex(of: "=") else {
                throw BerthError.invalid("bad format of filter (expected name=value)")
            }
            f[s[..<eq].lowercased(), default: []].append(String(s[s.index(after: eq)...]))
        }
        try self.init(f)
    }

    /// Applies the filters; `reference` also narrows the tags shown, as Docker does.
    /// `resolve` maps an image name or id to its listing (for before/since).
    public func apply(_ images: [ImageListing], resolve: (String) throws -> ImageListing) throws -> [ImageListing] {
        var out = images
        if let d = filters["dangling"]?.last {
            let want = d == "true" || d == "1"
            out = out.filter { $0.dangling == want }
        }
        for l in filters["label"] ?? [] {
            let (k, v) = Self.splitLabel(l)
            out = out.filter { img in img.labels[k].map { v == nil || $0 == v } ?? false }
        }
        if let b = filters["before"]?.last {
            let ref = try resolve(b)
            out = out.filter { $0.created < ref.created }
        }
        if let s = filters["since"]?.last {
            let ref = try resolve(s)
            out = out.filter { $0.created > ref.created }
        }
        if let u = filters["until"]?.last {
            guard let t = Clock.parseTimestamp(u) else { throw BerthError.invalid("invalid filter 'until=\(u)'") }
            out = out.filter { $0.created < t }
        }
        if let patterns = filters["reference"], !patterns.isEmpty {
            out = out.compactMap { img in
                var m = img
                m.tags = img.tags.filter { t in
                    let name = ImageName.familiar(t.repository)
                    return patterns.contains { p in Self.match(p, name) || Self.match(p, name + ":" + t.tag) }
                }
                return m.tags.isEmpty ? nil : m
            }
        }
        return out
    }

    /// Every image, filtered; before/since name images as users do. Intermediate images
    /// (untagged parents of others) only with `all`, as Docker's `images -a`.
    public func list(_ db: StoreTransaction, all showAll: Bool = false) throws -> [ImageListing] {
        let every = try ImageQueries.list(db)
        let all = showAll ? every : every.filter { !$0.intermediate }
        return try apply(all) { name in
            let id = try ImageResolver.resolve(db, name).imageID
            guard let l = all.first(where: { $0.id == id }) else { throw BerthError.notFound("No such image: \(name)") }
            return l
        }
    }

    /// Go's path.Match: `*` does not cross `/`.
    public static func match(_ pattern: String, _ s: String) -> Bool {
        fnmatch(pattern, s, FNM_PATHNAME) == 0
    }

    public static func splitLabel(_ l: String) -> (String, String?) {
        guard let eq = l.firstIndex(of: "=") else { return (l, nil) }
        return (String(l[..<eq]), String(l[l.index(after: eq)...]))
    }
}

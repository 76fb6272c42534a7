import BerthCore

/// One row of berthd's route table: a method, a path pattern and the handler that answers.
///
/// Patterns are Docker's paths with `{name}` for one path segment and `{name*}` for one or
/// more (image names hold slashes: `/images/{name*}/json`). At most one `{…*}` per pattern.
struct Route: Sendable {
    typealias Handler = @Sendable (EngineRouter, APIRequest, RouteParams) async throws -> APIResponse

    enum Segment: Sendable, Equatable {
        case literal(String)
        case param(String)
        case rest(String)
    }

    let methods: [String]
    let pattern: String
    let segments: [Segment]
    let handler: Handler

    init(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        self.init(methods: [method], pattern, handler)
    }

    init(methods: [String], _ pattern: String, _ handler: @escaping Handler) {
        self.methods = methods
        self.pattern = pattern
        self.segments = Self.parse(pattern)
        self.handler = handler
    }

    static func parse(_ pattern: String) -> [Segment] {
        pattern.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { s in
            guard s.hasPrefix("{"), s.hasSuffix("}") else { return .literal(String(s)) }
            let name = s.dropFirst().dropLast()
            return name.hasSuffix("*") ? .rest(String(name.dropLast())) : .param(String(name))
        }
    }

    /// The parameters when `path` matches the pattern (method aside), else nil.
    func match(_ path: String) -> RouteParams? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var params = RouteParams()
        guard
            let restAt = segments.firstIndex(where: {
                if case .rest = $0 { return true }; return false
            })
        else {
            guard parts.count == segments.count else { return nil }
            for (seg, part) in zip(segments, parts) where !Self.bind(seg, String(part), &params) { return nil }
            return params
        }
        let after = segments.count - restAt - 1
        guard parts.count >= segments.count else { return nil }
        for i in 0..<restAt where !Self.bind(segments[i], String(parts[i]), &params) { return nil }
        for i in 0..<after where !Self.bind(segments[restAt + 1 + i], String(parts[parts.count - after + i]), &params) {
            return nil
        }
        let middle = parts[restAt..<(parts.count - after)]
        guard case .rest(let name) = segments[restAt], !middle.contains(where: \.isEmpty) else { return nil }
        params.values[name] = middle.joined(separator: "/")
        return params
    }

    private static func bind(_ seg: Segment, _ part: String, _ params: inout RouteParams) -> Bool {
        switch seg {
        case .literal(let l): return l == part
        case .param(let n), .rest(let n):
            guard !part.isEmpty else { return false }
            params.values[n] = part
            return true
        }
    }
}

/// The `{name}` values of a matched route.
struct RouteParams: Sendable, Equatable {
    var values: [String: String] = [:]
    subscript(_ name: String) -> String { values[name] ?? "" }
}

/// Routes in order; the first whose method and pattern match answers.
struct RouteTable: Sendable {
    let routes: [Route]

    func find(method: String, path: String) -> (Route, RouteParams)? {
        for r in routes where r.methods.contains(method) {
            if let p = r.match(path) { return (r, p) }
        }
        return nil
    }
}

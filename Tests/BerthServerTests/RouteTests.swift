import Testing

@testable import BerthServer

@Suite struct RouteTests {
    func match(_ pattern: String, _ path: String) -> [String: String]? {
        Route("GET", pattern) { _, _, _ in .noContent() }.match(path)?.values
    }

    @Test func literalAndParams() {
        #expect(match("/containers/json", "/containers/json") == [:])
        #expect(match("/containers/{id}/json", "/containers/abc/json") == ["id": "abc"])
        #expect(match("/containers/{id}/json", "/containers//json") == nil)
        #expect(match("/containers/{id}/json", "/containers/abc/json/x") == nil)
        #expect(match("/containers/{id}", "/containers/abc") == ["id": "abc"])
        #expect(match("/containers/{id}", "containers/abc") == nil)
    }

    @Test func restParamsTakeSlashes() {
        #expect(match("/images/{name*}/json", "/images/library/busybox:latest/json") == ["name": "library/busybox:latest"])
        #expect(match("/images/{name*}/json", "/images/busybox/json") == ["name": "busybox"])
        #expect(match("/images/{name*}/json", "/images/json") == nil)
        #expect(match("/images/{name*}/json", "/images/a//b/json") == nil)
        #expect(match("/images/{name*}", "/images/localhost:5000/a/b") == ["name": "localhost:5000/a/b"])
    }

    @Test func tableOrderAndMethods() {
        let table = RouteTable(routes: [
            Route("GET", "/containers/json") { _, _, _ in .noContent(201) },
            Route("GET", "/containers/{id}/json") { _, _, _ in .noContent(202) },
            Route(methods: ["GET", "HEAD"], "/_ping") { _, _, _ in .noContent(203) },
        ])
        #expect(table.find(method: "GET", path: "/containers/json")?.0.pattern == "/containers/json")
        #expect(table.find(method: "GET", path: "/containers/x/json")?.1["id"] == "x")
        #expect(table.find(method: "POST", path: "/containers/json") == nil)
        #expect(table.find(method: "HEAD", path: "/_ping") != nil)
    }

    /// Every route of berthd's table parses and no two routes claim the same method and shape.
    @Test func engineTableIsUnambiguous() {
        var seen = Set<String>()
        for r in EngineRouter.table.routes {
            let shape = r.segments.map { seg -> String in
                switch seg {
                case .literal(let l): return l;
                case .param: return "{}";
                case .rest: return "{*}"
                }
            }.joined(separator: "/")
            for m in r.methods { #expect(seen.insert(m + " " + shape).inserted, "duplicate \(m) \(r.pattern)") }
        }
        #expect(EngineRouter.table.routes.count > 40)
    }
}

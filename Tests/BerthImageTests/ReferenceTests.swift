import BerthCore
import Testing

@testable import BerthImage

@Suite struct ReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox", nil as String?, "busybox"),
        ("busybox:1.36", "docker.io/library/busybox", "1.36", "busybox"),
        ("me/app:v1", "docker.io/me/app", "v1", "me/app"),
        ("localhost:5000/app", "localhost:5000/app", nil, "localhost:5000/app"),
        ("localhost/app:x", "localhost/app", "x", "localhost/app"),
        ("quay.io/a/b/c:tag", "quay.io/a/b/c", "tag", "quay.io/a/b/c"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox", "latest", "busybox"),
        ("a__b.c-d---e", "docker.io/library/a__b.c-d---e", nil, "a__b.c-d---e"),
    ])
    func parses(_ input: String, _ name: String, _ tag: String?, _ familiar: String) throws {
        let r = try Reference.parse(input)
        #expect(r.name == name)
        #expect(r.tag == tag)
        #expect(r.familiarName == familiar)
    }

    @Test(arguments: [
        "", "Busybox", "busybox:", ":tag", "a//b", "-a", "a-", "a:b:c", "busybox@sha256:abc",
        "a___b", "busybox:-tag", "host:port/x", "UPPER",
    ])
    func rejects(_ input: String) {
        #expect(throws: BerthError.self) { try Reference.parse(input) }
    }

    @Test func digestsAndDefaults() throws {
        let hex = String(repeating: "a", count: 64)
        let r = try Reference.parse("busybox@sha256:" + hex)
        #expect(r.digest?.hex == hex && r.tag == nil)
        #expect(try Reference.parseTagged("busybox").description == "docker.io/library/busybox:latest")
        #expect(try Reference.parseTagged("busybox").familiarString == "busybox:latest")
    }

    @Test func uppercaseMessage() {
        do {
            _ = try Reference.parse("Busybox")
            Issue.record("accepted an uppercase repository")
        } catch let e as BerthError {
            #expect(e.message.contains("must be lowercase"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func chainIDs() throws {
        let a = Digest.of(Array("a".utf8)), b = Digest.of(Array("b".utf8))
        let chain = Digest.chainIDs([a, b])
        #expect(chain[0] == a)
        #expect(chain[1] == Digest.of(Array("\(a) \(b)".utf8)))
    }

    @Test func digestParsing() {
        #expect(throws: BerthError.self) { try Digest(parsing: "md5:abc") }
        #expect(throws: BerthError.self) { try Digest(parsing: "sha256:XYZ") }
    }
}

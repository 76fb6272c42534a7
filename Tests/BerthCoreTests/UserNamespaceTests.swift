import Testing

@testable import BerthCore

/// The rootless berthd's pure parts: the kernel's id maps and shadow's subordinate ranges.
@Suite struct UserNamespaceTests {
    @Test func parsesTheKernelsMaps() {
        let m = UserNamespace.parseMap("         0       1001          1\n         1     100000      65536\n")
        #expect(m == [.init(inside: 0, outside: 1001, count: 1), .init(inside: 1, outside: 100000, count: 65536)])
        #expect(UserNamespace.parseMap("0 0 4294967295\nbroken line\n1 2\n") == [.init(inside: 0, outside: 0, count: UInt32.max)])
    }

    @Test func findsTheUsersRangeByNameOrId() {
        let text = "# comment\nalice:100000:65536\nbob:165536:65536\n1002:231072:70000\nbad:x:1\n"
        #expect(UserNamespace.subordinateRange(text, user: "bob", id: 1001) == .init(start: 165536, count: 65536))
        #expect(UserNamespace.subordinateRange(text, user: "carol", id: 1002) == .init(start: 231072, count: 70000))
        #expect(UserNamespace.subordinateRange(text, user: "dave", id: 1003) == nil)
        // Ranges that do not fit in 32 bits, or are empty or garbled, are not ranges.
        #expect(UserNamespace.subordinateRange("eve:4294967290:10\n", user: "eve", id: 1) == nil)
        #expect(UserNamespace.subordinateRange("eve:100:0\neve:200:5\n", user: "eve", id: 1) == .init(start: 200, count: 5))
        #expect(UserNamespace.subordinateRange("bad:x:1\n::\n:::\n", user: "bad", id: 1) == nil)
    }

    @Test func overlaysOwnAttributesAreNeverImageContent() {
        #expect(OverlayXattrs.isOverlays("trusted.overlay.opaque"))
        #expect(OverlayXattrs.isOverlays("user.overlay.origin"))
        #expect(!OverlayXattrs.isOverlays("user.mime_type"))
        #expect(OverlayXattrs.opaque.hasSuffix("overlay.opaque"))
    }
}

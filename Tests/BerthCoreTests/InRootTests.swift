import Foundation
import Testing

@testable import BerthCore

/// Paths inside a container root: symlinks and `..` stay inside, on both resolution paths
/// (openat2 and the component walk old kernels take).
@Suite(.serialized) struct InRootTests {
    func makeRoot() throws -> (root: String, outside: String) {
        let base = NSTemporaryDirectory() + "berth-inroot-" + Identifier.random().prefix(12)
        let root = base + "/root"
        let outside = base + "/outside"
        for d in [root + "/etc", root + "/tmp", outside] { try FileOps.makeDirs(d) }
        try Data("root:x:0:0::/root:/bin/sh\nin:x:5:6::/:/bin/sh\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/passwd"))
        try Data("host-secret\n".utf8).write(to: URL(fileURLWithPath: outside + "/passwd"))
        return (root, outside)
    }

    func bothWays(_ body: () throws -> Void) throws {
        for walk in [false, true] {
            InRoot.forceComponentWalk(walk)
            defer { InRoot.forceComponentWalk(false) }
            try body()
        }
    }

    @Test func symlinksAndDotDotStayInside() throws {
        try bothWays {
            let (root, outside) = try makeRoot()
            defer { FileOps.removeTree((root as NSString).deletingLastPathComponent) }
            let r = InRoot(root)
            // An absolute symlink to the host's folder, a relative one climbing out, `..` in the path.
            symlink(outside, root + "/abs")
            symlink("../../../../../../" + outside, root + "/rel")
            symlink("/etc/passwd", root + "/etc/link")
            for p in ["/abs/passwd", "/rel/passwd", "/../../../../etc/passwd", "etc/link"] {
                let text = String(decoding: try r.read(p) ?? Data(), as: UTF8.self)
                #expect(!text.contains("host-secret"), "\(p) read the host")
            }
            #expect(String(decoding: try r.read("/etc/link")!, as: UTF8.self).hasPrefix("root:"))
            #expect(try r.read("/abs/passwd") == nil)  // resolves to ROOT/…/outside/passwd: absent
            #expect(try r.read("/nope") == nil)
        }
    }

    @Test func makeDirectoriesNeverLeaves() throws {
        try bothWays {
            let (root, outside) = try makeRoot()
            defer { FileOps.removeTree((root as NSString).deletingLastPathComponent) }
            let r = InRoot(root)
            symlink(outside, root + "/link")
            try r.makeDirectories("/link/x/y")
            try r.makeDirectories("/../../../../tmp/probe/sub")
            #expect(!FileOps.exists(outside + "/x"))
            #expect(FileOps.exists(root + outside + "/x/y"))
            #expect(FileOps.exists(root + "/tmp/probe/sub"))
            #expect(!FileOps.exists((root as NSString).deletingLastPathComponent + "/tmp"))
            // A file in the way is an error, not a write elsewhere.
            try Data().write(to: URL(fileURLWithPath: root + "/file"))
            #expect(throws: BerthError.self) { try r.makeDirectories("/file/sub") }
            // withDirectory gives a path that names the resolved directory itself.
            let seen = try r.withDirectory("/link/x") { dir in try FileManager.default.contentsOfDirectory(atPath: dir) }
            #expect(seen == ["y"])
        }
    }

    @Test func symlinkLoopsEnd() throws {
        try bothWays {
            let (root, _) = try makeRoot()
            defer { FileOps.removeTree((root as NSString).deletingLastPathComponent) }
            symlink("/a", root + "/b")
            symlink("/b", root + "/a")
            #expect(throws: BerthError.self) { try InRoot(root).read("/a/x") }
        }
    }
}

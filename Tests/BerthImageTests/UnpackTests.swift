import BerthCore
import Foundation
import Testing

@testable import BerthImage

/// Layer path rules and unpacking without root (owners and device nodes are the integration
/// tests' business).
@Suite struct PathSafetyTests {
    @Test func components() throws {
        #expect(try PathSafety.components(of: "./a/b/") == ["a", "b"])
        #expect(try PathSafety.components(of: "a//./b") == ["a", "b"])
        #expect(try PathSafety.components(of: "./") == [])
        #expect(throws: BerthError.self) { try PathSafety.components(of: "/etc/passwd") }
        #expect(throws: BerthError.self) { try PathSafety.components(of: "a/../../x") }
        #expect(throws: BerthError.self) { try PathSafety.components(of: "..") }
    }

    @Test func whiteouts() throws {
        #expect(try PathSafety.whiteout(".wh..wh..opq") == .opaque)
        #expect(try PathSafety.whiteout(".wh.gone") == .whiteout(name: "gone"))
        #expect(try PathSafety.whiteout("file") == PathSafety.WhiteoutKind.none)
        #expect(throws: BerthError.self) { try PathSafety.whiteout(".wh.") }
        #expect(throws: BerthError.self) { try PathSafety.whiteout(".wh..") }
        #expect(throws: BerthError.self) { try PathSafety.whiteout(".wh...") }
    }
}

@Suite final class UnpackTests {
    /// Temp folders this test made, removed when it ends.
    var made: [String] = []
    deinit { for d in made { try? FileManager.default.removeItem(atPath: d) } }

    /// Writes a tar with python's tarfile (the host always has python3 here).
    func makeTar(_ spec: String) throws -> (String, String) {
        let dir = NSTemporaryDirectory() + "berth-unpack-" + Identifier.random().prefix(8)
        made.append(dir)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let script = """
            import io, tarfile, sys
            t = tarfile.open(sys.argv[1], "w")
            def f(name, data=b"", kind=tarfile.REGTYPE, link=""):
                ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = link; ti.size = len(data) if kind == tarfile.REGTYPE else 0
                ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
                t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
            D, S, H = tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
            \(spec)
            t.close()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, dir + "/l.tar"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return (dir + "/l.tar", dir + "/out")
    }

    func refuses(_ spec: String, mentioning entry: String) throws {
        let (tar, out) = try makeTar(spec)
        do {
            try LayerUnpacker(privileged: false).unpack(tar, into: out)
            Issue.record("unpacked a hostile archive: \(spec)")
        } catch let e as BerthError {
            #expect(e.message.contains(entry), "\(e.message)")
        }
    }

    @Test func ordinaryLayer() throws {
        let (tar, out) = try makeTar(
            """
            f("bin/", kind=D); f("bin/tool", b"hello"); f("bin/alias", kind=S, link="/bin/tool")
            f("bin/hard", kind=H, link="bin/tool"); f("d/", kind=D); f("d/.wh.old"); f("d/.wh..wh..opq")
            """)
        let size = try LayerUnpacker(privileged: false).unpack(tar, into: out)
        #expect(size == 5)
        #expect(FileManager.default.contents(atPath: out + "/bin/tool") == Data("hello".utf8))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/bin/alias") == "/bin/tool")
        var a = stat(), b = stat()
        stat(out + "/bin/tool", &a); stat(out + "/bin/hard", &b)
        #expect(a.st_ino == b.st_ino)
        #expect(!FileManager.default.fileExists(atPath: out + "/d/.wh.old"))
    }

    @Test func refusesTraversal() throws {
        try refuses(#"f("../evil", b"x")"#, mentioning: "../evil")
        try refuses(#"f("/abs", b"x")"#, mentioning: "/abs")
        try refuses(#"f("a/../../evil", b"x")"#, mentioning: "a/../../evil")
    }

    @Test func refusesWritesThroughSymlinks() throws {
        try refuses(#"f("link", kind=S, link="/tmp"); f("link/evil", b"x")"#, mentioning: "link/evil")
        try refuses(#"f("dir", kind=S, link="."); f("dir/x", b"x")"#, mentioning: "dir/x")
    }

    @Test func refusesHardlinksOutside() throws {
        try refuses(#"f("h", kind=H, link="../../etc/passwd")"#, mentioning: "\"h\"")
        try refuses(#"f("h", kind=H, link="/etc/passwd")"#, mentioning: "\"h\"")
        try refuses(#"f("l", kind=S, link="/etc"); f("h", kind=H, link="l/passwd")"#, mentioning: "\"h\"")
    }

    @Test func refusesCorruptArchives() throws {
        let dir = NSTemporaryDirectory() + "berth-corrupt-" + Identifier.random().prefix(8)
        defer { FileOps.removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 3000).write(to: URL(fileURLWithPath: dir + "/bad.tar"))
        #expect(throws: BerthError.self) { try LayerUnpacker(privileged: false).unpack(dir + "/bad.tar", into: dir + "/out") }
        // gzip magic, then garbage
        try (Data([0x1f, 0x8b, 0x08, 0x00]) + Data(repeating: 7, count: 100)).write(to: URL(fileURLWithPath: dir + "/bad.gz"))
        #expect(throws: BerthError.self) { try LayerUnpacker(privileged: false).unpack(dir + "/bad.gz", into: dir + "/out") }
    }
}

@Suite struct ConfigChangesTests {
    @Test func applies() throws {
        var c = ContainerConfig()
        try ConfigChanges.apply(
            [
                "CMD [\"sh\", \"-c\", \"echo hi\"]", "ENTRYPOINT /init", "ENV A=1 B=\"two words\"",
                "ENV LEGACY some value", "EXPOSE 80 53/udp", "LABEL k=v", "WORKDIR /srv",
                "USER nobody", "VOLUME /data", "STOPSIGNAL SIGINT",
            ], to: &c)
        #expect(c.Cmd == ["sh", "-c", "echo hi"])
        #expect(c.Entrypoint == ["/bin/sh", "-c", "/init"])
        #expect(c.Env == ["A=1", "B=two words", "LEGACY=some value"])
        #expect(Set(c.ExposedPorts!.keys) == ["80/tcp", "53/udp"])
        #expect(c.Labels == ["k": "v"])
        #expect(c.WorkingDir == "/srv" && c.User == "nobody" && c.StopSignal == "SIGINT")
        #expect(c.Volumes?.keys.first == "/data")
    }

    @Test func refusesUnknown() {
        var c = ContainerConfig()
        #expect(throws: BerthError.self) { try ConfigChanges.apply(["RUN make"], to: &c) }
        #expect(throws: BerthError.self) { try ConfigChanges.apply(["EXPOSE 99999"], to: &c) }
        #expect(throws: BerthError.self) { try ConfigChanges.apply(["VOLUME relative"], to: &c) }
    }
}

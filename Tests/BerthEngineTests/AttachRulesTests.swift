import BerthAPI
import BerthCore
import BerthImage
import Foundation
import Testing

@testable import BerthEngine

@Suite struct AttachRulesTests {
    @Test func detachKeysParse() throws {
        #expect(try DetachKeys.parse("ctrl-p,ctrl-q") == [16, 17])
        #expect(try DetachKeys.parse("ctrl-a,x") == [1, UInt8(ascii: "x")])
        #expect(try DetachKeys.parse("ctrl-@,ctrl-[") == [0, 27])
        #expect(throws: BerthError.self) { try DetachKeys.parse("ctrl-pp") }
        #expect(throws: BerthError.self) { try DetachKeys.parse("alt-x") }
    }

    @Test func detachKeysScanHoldsPrefixesBack() {
        var k = DetachKeys([16, 17])
        var (out, hit) = k.scan(Data([65, 16]))
        #expect(out == Data([65]) && !hit)
        (out, hit) = k.scan(Data([66]))  // not the sequence after all: the held byte goes out
        #expect(out == Data([16, 66]) && !hit)
        (out, hit) = k.scan(Data([16, 16, 17, 67]))
        #expect(out == Data([16]) && hit)
        var one = DetachKeys([3])
        (out, hit) = one.scan(Data([1, 3]))
        #expect(out == Data([1]) && hit)
    }

    @Test func multiplexedFrame() {
        let f = AttachBridge.frame(2, Data("hi".utf8))
        #expect(Array(f) == [2, 0, 0, 0, 0, 0, 0, 2, 104, 105])
    }

    @Test func psOutputNarrowedToPids() throws {
        let out = """
            UID          PID    PPID  C STIME TTY          TIME CMD
            root           1       0  0 10:00 ?        00:00:01 /sbin/init splash
            root         812     800  0 10:01 ?        00:00:00 sh -c echo a  b
            root         900     812  0 10:01 ?        00:00:00 sleep 100
            """
        let r = try ContainerService.parsePS(out, pids: [812, 900])
        #expect(r.Titles == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        #expect(r.Processes.count == 2)
        #expect(r.Processes[0].last == "sh -c echo a  b")
        #expect(throws: BerthError.self) { try ContainerService.parsePS("USER COMMAND\nroot x\n", pids: [1]) }
    }

    @Test func tarRenameExpression() {
        #expect(TarTransform.rename("a.txt", "b,c&d") == #"s,^a\.txt\(/\|$\),b\,c\&d\1,"#)
    }

    @Test func resolveInRootStaysInside() throws {
        let root = try FileOps.makeTempDir(in: NSTemporaryDirectory(), prefix: "berth-resolve")
        defer { FileOps.removeTree(root) }
        try FileOps.makeDirs(root + "/etc")
        try FileOps.makeDirs(root + "/data/sub")
        symlink("/", root + "/up")
        symlink("../../../../etc", root + "/data/sub/rel")
        symlink("/data", root + "/abs")
        symlink("loop2", root + "/loop1")
        symlink("loop1", root + "/loop2")
        #expect(try PathSafety.resolveInRoot(root, "/up/etc/passwd") == root + "/etc/passwd")
        #expect(try PathSafety.resolveInRoot(root, "/data/sub/rel/x") == root + "/etc/x")
        #expect(try PathSafety.resolveInRoot(root, "/../../etc") == root + "/etc")
        #expect(try PathSafety.resolveInRoot(root, "/abs") == root + "/abs")
        #expect(try PathSafety.resolveInRoot(root, "/abs", followFinal: true) == root + "/data")
        #expect(throws: BerthError.self) { try PathSafety.resolveInRoot(root, "/loop1/x") }
    }
}

import BerthCore
import Foundation
import Testing

@testable import BerthRuntime

@Suite struct SpecTests {
    @Test func capabilities() throws {
        let def = try SpecBuilder.capabilities(add: [], drop: [], privileged: false)
        #expect(def == SpecBuilder.defaultCapabilities)
        let c = try SpecBuilder.capabilities(add: ["net_admin"], drop: ["CAP_CHOWN", "kill"], privileged: false)
        #expect(c.contains("CAP_NET_ADMIN") && !c.contains("CAP_CHOWN") && !c.contains("CAP_KILL"))
        #expect(try SpecBuilder.capabilities(add: [], drop: ["ALL"], privileged: false).isEmpty)
        #expect(try SpecBuilder.capabilities(add: ["ALL"], drop: [], privileged: false).count == SpecBuilder.hostCapabilities.count)
        #expect(throws: BerthError.self) { try SpecBuilder.capabilities(add: ["CAP_NOPE"], drop: [], privileged: false) }
    }

    @Test func specDefaults() throws {
        var rc = ContainerRuntimeConfig(id: "abc", rootfs: "/r", args: ["sh"], env: ["A=1"], cwd: "/", hostname: "h")
        rc.seccompProfile = nil
        rc.memoryLimit = 1 << 20
        rc.nanoCPUs = 1_500_000_000
        let s = try SpecBuilder.build(rc)
        #expect(s.linux.namespaces.map(\.type) == ["pid", "ipc", "uts", "mount", "network"])
        #expect(s.linux.cgroupsPath == "/berth/abc")
        #expect(s.linux.resources?.memory?.limit == 1 << 20)
        #expect(s.linux.resources?.cpu?.quota == 150_000)
        #expect(s.linux.maskedPaths?.contains("/proc/kcore") == true)
        #expect(s.mounts.contains { $0.destination == "/sys" && $0.options?.contains("ro") == true })
        rc.hostNetwork = true
        rc.privileged = true
        let h = try SpecBuilder.build(rc)
        #expect(!h.linux.namespaces.contains { $0.type == "network" } && h.hostname == nil)
        #expect(h.linux.maskedPaths == nil && h.process.capabilities?.bounding.count == SpecBuilder.hostCapabilities.count)
    }

    @Test func seccompProfileConversion() throws {
        let dir = NSTemporaryDirectory() + "berth-seccomp-" + Identifier.random().prefix(8)
        defer { FileOps.removeTree(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let profile = """
            {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
             "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]},
                        {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
             "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                         {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
                         {"names":["chown"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"excludes":{"caps":["CAP_CHOWN"]}}]}
            """
        try Data(profile.utf8).write(to: URL(fileURLWithPath: dir + "/p.json"))
        let s = try #require(try SeccompProfile.load(path: dir + "/p.json", capabilities: ["CAP_CHOWN"]))
        #expect(s.defaultAction == "SCMP_ACT_ERRNO" && s.defaultErrnoRet == 38)
        #expect(s.syscalls?.map(\.names) == [["read", "write"]])
        let admin = try #require(try SeccompProfile.load(path: dir + "/p.json", capabilities: ["CAP_SYS_ADMIN"]))
        #expect(admin.syscalls?.map(\.names) == [["read", "write"], ["mount"], ["chown"]])
        #expect(try SeccompProfile.load(path: dir + "/missing.json", capabilities: []) == nil)
        // Native ABI only by default; the profile's 32-bit sub-architectures on request.
        #if arch(x86_64)
        #expect(s.architectures == ["SCMP_ARCH_X86_64"])
        let compat = try #require(try SeccompProfile.load(path: dir + "/p.json", capabilities: [], compat32: true))
        #expect(compat.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        #endif
    }
}

@Suite struct LogAndUserTests {
    @Test func k8sFileReassembly() {
        let text = """
            2024-01-01T00:00:00.000000001Z stdout P hel
            2024-01-01T00:00:00.000000002Z stderr F oops
            2024-01-01T00:00:00.000000003Z stdout F lo
            2024-01-01T00:00:00.000000004Z stdout F 
            2024-01-01T00:00:00.000000005Z stdout F incomp
            """
        var pending: [LogLine.Stream: LogLine] = [:]
        let (lines, used) = LogReader.lines(in: Data(text.utf8), pending: &pending)
        #expect(lines.map { String(decoding: $0.text, as: UTF8.self) } == ["oops\n", "hello\n", "\n"])
        #expect(lines[0].stream == .stderr && lines[1].time == 1_704_067_200_000_000_001)
        // The last record has no newline yet: not consumed.
        #expect(used == text.utf8.count - "2024-01-01T00:00:00.000000005Z stdout F incomp".utf8.count)
    }

    @Test func users() throws {
        let root = NSTemporaryDirectory() + "berth-users-" + Identifier.random().prefix(8)
        defer { FileOps.removeTree(root) }
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try Data("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/passwd"))
        try Data("root:x:0:\napp:x:1000:\nextra:x:2000:app,other\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/group"))
        #expect(try HostFiles.resolveUser("", rootfs: root) == (0, 0, []))
        let app = try HostFiles.resolveUser("app", rootfs: root)
        #expect(app.uid == 1000 && app.gid == 1000 && app.groups == [2000])
        let ids = try HostFiles.resolveUser("1000:extra", rootfs: root)
        #expect(ids.uid == 1000 && ids.gid == 2000)
        let unknownUID = try HostFiles.resolveUser("4242:7", rootfs: root)
        #expect(unknownUID.uid == 4242 && unknownUID.gid == 7)
        #expect(throws: BerthError.self) { try HostFiles.resolveUser("ghost", rootfs: root) }
        #expect(throws: BerthError.self) { try HostFiles.resolveUser("app:ghosts", rootfs: root) }
    }

    @Test func hostsFile() {
        let hosts = HostFiles.hosts(hostname: "box", hostNetwork: false)
        #expect(hosts.contains("127.0.0.1\tlocalhost") && hosts.contains("\tbox"))
    }

    @Test func spawnDrainsBothPipes() throws {
        // More than a pipe buffer on both streams at once: must not deadlock.
        let r = try Spawn.run("/bin/sh", ["-c", "head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2; exit 3"])
        #expect(r.status == 3 && r.stdout.utf8.count == 200_000 && r.stderr.utf8.count == 200_000)
        let input = try Spawn.run("/bin/cat", [], stdin: Data("piped".utf8))
        #expect(input.stdout == "piped")
    }
}

@Suite struct LogFlushTests {
    @Test func partialTailIsFlushed() throws {
        let path = NSTemporaryDirectory() + "berth-log-" + Identifier.random().prefix(8)
        defer { unlink(path) }
        try Data("2024-01-01T00:00:00Z stdout F full\n2024-01-01T00:00:01Z stdout P no-newline\n".utf8)
            .write(to: URL(fileURLWithPath: path))
        let r = LogReader(path: path)
        #expect(r.next().map { String(decoding: $0.text, as: UTF8.self) } == ["full\n"])
        #expect(r.flushPending().map { String(decoding: $0.text, as: UTF8.self) } == ["no-newline"])
        #expect(r.flushPending().isEmpty)
    }
}

@Suite struct BoundingSetTests {
    @Test func readsCapBnd() {
        // Bits 0 (CHOWN) and 24 (SYS_RESOURCE) cleared, as on a host that lacks SYS_RESOURCE.
        let caps = SpecBuilder.boundingSet("Name:\tx\nCapBnd:\t000001fffeffffff\n")
        #expect(!caps.contains("CAP_SYS_RESOURCE"))
        #expect(caps.contains("CAP_SYS_ADMIN") && caps.contains("CAP_CHECKPOINT_RESTORE"))
        #expect(SpecBuilder.boundingSet("CapBnd:\t0000000000000001\n") == ["CAP_CHOWN"])
        #expect(SpecBuilder.boundingSet("no such line") == SpecBuilder.allCapabilities)
    }
}

import BerthAPI
import BerthCore
import Testing

@testable import BerthEngine

/// The create options' rules, without a daemon: what is accepted, what is refused and how.
@Suite struct OptionRulesTests {
    @Test func securityOptions() throws {
        #expect(try ContainerService.securityOption("no-new-privileges") == .noNewPrivileges(true))
        #expect(try ContainerService.securityOption("no-new-privileges:false") == .noNewPrivileges(false))
        #expect(try ContainerService.securityOption("seccomp=unconfined") == .seccompUnconfined)
        #expect(try ContainerService.securityOption("seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}") != .seccompUnconfined)
        #expect(try ContainerService.securityOption("label=disable") == .ignored)
        #expect(throws: BerthError.self) { try ContainerService.securityOption("seccomp=/path/not/json") }
        #expect(throws: BerthError.self) { try ContainerService.securityOption("apparmor=custom") }
        #expect(throws: BerthError.self) { try ContainerService.securityOption("privileged") }
    }

    @Test func cpuLists() throws {
        #expect(try ContainerService.cpuList("0-2,4") == [0, 1, 2, 4])
        #expect(throws: BerthError.self) { try ContainerService.cpuList("2-1") }
        #expect(throws: BerthError.self) { try ContainerService.cpuList("a") }
        var host = HostConfig()
        host.CpusetCpus = "0-7"
        #expect(throws: BerthError.self) { try ContainerService.validateOptions(host, cpuCount: 2) }
        host.CpusetCpus = "1"
        try ContainerService.validateOptions(host, cpuCount: 2)
    }

    @Test func sysctlsAndLimits() throws {
        var host = HostConfig()
        host.Sysctls = ["net.core.somaxconn": "1024", "kernel.shmmax": "1", "fs.mqueue.msg_max": "20"]
        try ContainerService.validateOptions(host)
        host.NetworkMode = "host"
        #expect(throws: BerthError.self) { try ContainerService.validateOptions(host) }
        host = HostConfig()
        host.Sysctls = ["kernel.panic": "1"]
        #expect(throws: BerthError.self) { try ContainerService.validateOptions(host) }
        host = HostConfig()
        host.Ulimits = [.init(Name: "nofile", Soft: 10, Hard: 5)]
        #expect(throws: BerthError.self) { try ContainerService.validateOptions(host) }
        host.Ulimits = [.init(Name: "nofile", Soft: 5, Hard: 10)]
        host.Memory = 64 << 20
        host.MemorySwap = -1
        host.MemoryReservation = 32 << 20
        try ContainerService.validateOptions(host)
        host.MemoryReservation = 1024
        #expect(throws: BerthError.self) { try ContainerService.validateOptions(host) }
    }

    @Test func unsupportedKeysOnlyWhenSet() {
        let zero: JSONValue = .object([
            "HostConfig": .object([
                "Devices": .array([]), "CpuQuota": .number(0), "Runtime": .string("runc"), "MemorySwappiness": .number(-1),
                "VolumesFrom": .null, "Isolation": .string("default"),
            ])
        ])
        #expect(UnsupportedOptions.find(in: zero).isEmpty)
        let set: JSONValue = .object([
            "HostConfig": .object(["CpuQuota": .number(5), "VolumeDriver": .string("nfs"), "DeviceCgroupRules": .array([.string("x")])])
        ])
        #expect(Set(UnsupportedOptions.find(in: set)) == ["HostConfig.CpuQuota", "HostConfig.VolumeDriver"])
        #expect(UnsupportedOptions.find(in: .object([:])).isEmpty)
    }

    @Test func deviceCgroupRules() throws {
        let r = try ContainerService.deviceRule("c 1:3 mr")
        #expect(r.type == "c" && r.major == 1 && r.minor == 3 && r.access == "mr" && r.allow)
        let any = try ContainerService.deviceRule("b *:* rwm")
        #expect(any.major == nil && any.minor == nil)
        for bad in ["", "c 1:3", "x 1:3 r", "c 1 r", "c a:3 r", "c 1:3 rx", "c 1:3 rr", "c -1:3 r"] {
            #expect(throws: BerthError.self, "\(bad)") { _ = try ContainerService.deviceRule(bad) }
        }
    }
}

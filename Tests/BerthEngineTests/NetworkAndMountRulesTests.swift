import BerthAPI
import BerthCore
import BerthNetwork
import Testing

@testable import BerthEngine

@Suite struct NetworkAndMountRulesTests {
    @Test func networkNames() throws {
        for ok in ["a", "net1", "my net", "a.b-c_d", String(repeating: "n", count: 128)] {
            try NetworkRules.checkName(ok)
        }
        for bad in ["", " lead", "trail ", "bad/name", "-x", "é", String(repeating: "n", count: 129), "a\u{0}b"] {
            #expect(throws: BerthError.self, "\(bad.debugDescription)") { try NetworkRules.checkName(bad) }
        }
    }

    @Test func subnetsNoBridgeCanUse() throws {
        for bad in ["127.0.0.0/24", "224.0.0.0/24", "239.1.0.0/16", "240.0.0.0/8", "0.0.0.0/24", "169.254.0.0/24", "96.0.0.0/3"] {
            #expect(throws: BerthError.self, "\(bad)") { _ = try NetworkRules.checkSubnet(Subnet(bad)!, hostRoutes: []) }
        }
        #expect(try NetworkRules.checkSubnet(Subnet("10.90.0.0/24")!, hostRoutes: []) == nil)
        let warning = try NetworkRules.checkSubnet(Subnet("192.168.1.0/24")!, hostRoutes: [Subnet("192.168.0.0/16")!])
        #expect(warning?.contains("192.168.0.0/16") == true)
    }

    @Test func volumeOptions() throws {
        let m = try MountSpecs.parse(
            binds: ["data:/var/lib/db:nocopy", "other:/x:ro", "/host:/y:rshared"], mounts: [], tmpfs: [:], anonymous: [])
        #expect(m.map(\.options) == ["nocopy", nil, "rshared"])
        var mount = HostConfig.Mount(Type: "volume", Source: "v", Target: "/t", ReadOnly: false)
        mount.VolumeOptions = .init(NoCopy: true)
        #expect(try MountSpecs.parse(binds: [], mounts: [mount], tmpfs: [:], anonymous: []).first?.options == "nocopy")
        mount.VolumeOptions?.DriverConfig = .init(Name: "flocker", Options: nil)
        #expect(throws: BerthError.self) { _ = try MountSpecs.parse(binds: [], mounts: [mount], tmpfs: [:], anonymous: []) }
        #expect(ContainerPath.clean("/data/") == "/data" && ContainerPath.clean("//a/./b") == "/a/b")
    }

    @Test func liveStatesAreOneList() {
        #expect(ContainerState.sqlList(ContainerState.live) == "('running','paused','restarting')")
        #expect(ContainerState(stored: "weird") == .dead && ContainerState(stored: "exited") == .exited)
    }
}

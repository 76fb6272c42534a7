import Foundation
import Testing

@testable import BerthNetwork

/// `--mac-address` and `--ip` parsing.
@Suite struct AddressTests {
    @Test func macAddresses() {
        #expect(IPAddress.isMAC("02:42:ac:11:00:02"))
        #expect(IPAddress.isMAC("92:D0:C6:0A:29:33"))
        #expect(!IPAddress.isMAC("01:00:5e:00:00:01"))  // multicast: not a container's own
        #expect(!IPAddress.isMAC("02:42:ac:11:00"))
        #expect(!IPAddress.isMAC("02:42:ac:11:00:2"))
        #expect(!IPAddress.isMAC("zz:42:ac:11:00:02"))
        #expect(!IPAddress.isMAC("02-42-ac-11-00-02"))
        #expect(!IPAddress.isMAC(""))
    }

    @Test func subnetMembership() throws {
        let s = try #require(Subnet("10.89.3.0/24"))
        #expect(s.contains(try #require(IPAddress.parseIPv4("10.89.3.77"))))
        #expect(!s.contains(try #require(IPAddress.parseIPv4("10.89.4.1"))))
        #expect(IPAddress.parseIPv4("300.1.1.1") == nil)
        #expect(s.broadcast == IPAddress.parseIPv4("10.89.3.255"))
    }
}

/// `network create --ipv6` subnets.
@Suite struct Subnet6Tests {
    @Test func parsesAndFormats() throws {
        let s = try #require(Subnet6("fd12:3456:789a:1::/64"))
        #expect(s.description == "fd12:3456:789a:1::/64")
        #expect(IPAddress.formatIPv6(s.firstHost) == "fd12:3456:789a:1::1")
        #expect(IPAddress.formatIPv6(s.lastHost) == "fd12:3456:789a:1:ffff:ffff:ffff:fffe")
        #expect(s.contains(try #require(IPAddress.parseIPv6("fd12:3456:789a:1::99"))))
        #expect(!s.contains(try #require(IPAddress.parseIPv6("fd12:3456:789a:2::1"))))
        #expect(Subnet6("fd12::/40") == nil)  // wider than /48
        #expect(Subnet6("10.0.0.0/24") == nil)
        #expect(IPAddress.parseIPv6("::1") == 1)
    }

    @Test func allocatesAboveTheGateway() throws {
        let s = try #require(Subnet6("fd00:1:2:3::/64"))
        let used: Set<UInt128> = [s.network + 2]
        #expect(s.nextFree(used: used, gateway: s.firstHost).map(IPAddress.formatIPv6) == "fd00:1:2:3::3")
        let a = try #require(Subnet6("fd00:1:2:3::/64"))
        #expect(a.overlaps(try #require(Subnet6("fd00:1:2::/48"))))
        #expect(!a.overlaps(try #require(Subnet6("fd00:1:2:4::/64"))))
    }

    @Test func randomULAsAreUniqueLocal() {
        let s = Subnet6.randomULA()
        #expect(s.prefix == 64 && s.description.hasPrefix("fd"))
    }
}

/// aardvark's reload seen in /proc/net/udp's table.
@Suite struct DNSReadinessTests {
    @Test func readsPort53SocketsAndTheirInodes() {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
              12: 0100590A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 0
              13: 0100590A:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1235 2 0000000000000000 0
            """
        // 10.89.0.1, as a little-endian kernel prints it.
        #expect(DNSReadiness.parse(table) == [.init(local: "0100590A:0035", inode: "1234")])
        #expect(DNSReadiness.keys("10.89.0.1").contains("0100590A:0035"))
    }

    @Test func aSetupWaitsForNewSocketsOnItsGateways() {
        let want = [DNSReadiness.keys("10.89.0.1")]
        let old = DNSReadiness.Socket(local: "0100590A:0035", inode: "1")
        let other = DNSReadiness.Socket(local: "0100580A:0035", inode: "7")
        // The old server still bound (filtered out as not fresh), or only another network's.
        #expect(!DNSReadiness.reloaded(fresh: [], want: want, setup: true, aardvarkGone: false))
        #expect(!DNSReadiness.reloaded(fresh: [other], want: want, setup: true, aardvarkGone: false))
        #expect(DNSReadiness.reloaded(fresh: [other, .init(local: old.local, inode: "9")], want: want, setup: true, aardvarkGone: false))
        // A teardown: any new socket, or aardvark gone.
        #expect(!DNSReadiness.reloaded(fresh: [], want: want, setup: false, aardvarkGone: false))
        #expect(DNSReadiness.reloaded(fresh: [], want: want, setup: false, aardvarkGone: true))
        #expect(DNSReadiness.reloaded(fresh: [other], want: want, setup: false, aardvarkGone: false))
    }

    @Test func aardvarkIsGoneWithoutItsPidFileOrItsProcess() throws {
        let file = NSTemporaryDirectory() + "berth-aardvark-\(getpid()).pid"
        defer { unlink(file) }
        #expect(DNSReadiness.gone(file))
        try "\(getpid())".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(!DNSReadiness.gone(file))
        // A pid above the kernel's limit (pid_max is at most 2^22) names no process.
        try "\(1 << 23)".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(DNSReadiness.gone(file))
    }

    @Test func givesUpAfterTheTimeoutWithTheBodysResult() {
        let r = DNSReadiness.afterReload(gateways: ["192.0.2.254"], setup: true, pidFile: "/nonexistent", timeout: 0.05) { 42 }
        #expect(r == 42)
    }
}

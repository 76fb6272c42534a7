import BerthNetwork
import Testing

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

import BerthCore
import BerthNetwork
import Foundation
import Testing

@Suite struct PortSpecTests {
    @Test(
        arguments: [
            ("80", "", nil, 80...80, PortSpec.Proto.tcp),
            ("8080:80", "", 8080...8080, 80...80, .tcp),
            ("127.0.0.1:8080:80", "127.0.0.1", 8080...8080, 80...80, .tcp),
            ("127.0.0.1::80", "127.0.0.1", nil, 80...80, .tcp),
            ("8080-8090:80-90", "", 8080...8090, 80...90, .tcp),
            ("8080-8090:80", "", 8080...8090, 80...80, .tcp),
            ("53:53/udp", "", 53...53, 53...53, .udp),
            ("80/TCP", "", nil, 80...80, .tcp),
            ("[::1]:8080:80", "::1", 8080...8080, 80...80, .tcp),
            ("[::]::80/sctp", "::", nil, 80...80, .sctp),
            ("80-82", "", nil, 80...82, .tcp),
        ] as [(String, String, ClosedRange<UInt16>?, ClosedRange<UInt16>, PortSpec.Proto)])
    func parses(_ text: String, _ ip: String, _ host: ClosedRange<UInt16>?, _ ctr: ClosedRange<UInt16>, _ proto: PortSpec.Proto) throws {
        #expect(try PortSpec.parse(text) == PortSpec(hostIP: ip, hostPorts: host, containerPorts: ctr, proto: proto))
    }

    @Test(arguments: [
        ("", "no port specified"),
        ("8080:", "no port specified"),
        ("http", "invalid containerPort: http"),
        ("0", "invalid containerPort: 0"),
        ("65536", "invalid containerPort: 65536"),
        ("90-80", "invalid containerPort: 90-80"),
        ("x:80", "invalid hostPort: x"),
        ("80/icmp", "invalid proto: icmp"),
        ("8080-8081:80-90", "invalid ranges specified for container and host Ports: 80-90 and 8080-8081"),
        ("300.1.1.1:80:80", "invalid IP address: 300.1.1.1"),
        ("[::1:80:80", "invalid IP address"),
        ("[1.2.3.4]:80:80", "invalid IP address: 1.2.3.4"),
        ("1:2:3:4", "invalid port format"),
        ("+80", "invalid containerPort: +80"),
    ])
    func refuses(_ text: String, _ message: String) {
        #expect {
            try PortSpec.parse(text)
        } throws: { e in
            (e as? BerthError).map { $0.code == .invalidArgument && $0.message.hasPrefix(message) } ?? false
        }
    }

    @Test func netavarkMapping() throws {
        let m = try PortSpec.parse("127.0.0.1:8080-8082:80-82/udp").mapping(hostStart: 8080)
        #expect(m == .init(host_ip: "127.0.0.1", container_port: 80, host_port: 8080, range: 3, protocol: "udp"))
        #expect(PortSpec.key(80, .tcp) == "80/tcp")
    }

    /// The JSON netavark's own test files use (test/testfiles/bridge-port-tcp-udp.json) decodes
    /// into our options and encodes back with the same keys.
    @Test func netavarkOptionsShape() throws {
        let json = """
            {"container_id":"f922ffdda571","container_name":"sharp_gould",
             "port_mappings":[{"host_ip":"192.168.188.25","container_port":8080,"host_port":8080,"range":1,"protocol":"udp"}],
             "networks":{"podman":{"static_ips":["10.88.0.14"],"aliases":["f922ffdda571"],"interface_name":"eth0"}},
             "network_info":{"podman":{"name":"podman","id":"2f259bab","driver":"bridge","network_interface":"podman0",
               "subnets":[{"subnet":"10.88.0.0/16","gateway":"10.88.0.1"}],"ipv6_enabled":false,"internal":false,
               "dns_enabled":false,"ipam_options":{"driver":"host-local"}}}}
            """
        let o = try JSONDecoder().decode(NetavarkOptions.self, from: Data(json.utf8))
        #expect(o.networks["podman"]?.static_ips == ["10.88.0.14"])
        #expect(o.network_info["podman"]?.subnets.first?.gateway == "10.88.0.1")
        let mine = NetavarkOptions(
            container_id: "f922ffdda571", container_name: "sharp_gould", port_mappings: o.port_mappings,
            networks: ["podman": .init(static_ips: ["10.88.0.14"], aliases: ["f922ffdda571"], interface_name: "eth0")],
            network_info: [
                "podman": .init(
                    name: "podman", id: "2f259bab", network_interface: "podman0",
                    subnets: [.init(subnet: "10.88.0.0/16", gateway: "10.88.0.1")])
            ])
        #expect(mine == o)
    }
}

@Suite struct SubnetTests {
    @Test func parseAndContain() throws {
        let s = try #require(Subnet("10.89.3.7/24"))
        #expect(s.description == "10.89.3.0/24")
        #expect(s.contains(IPAddress.parseIPv4("10.89.3.254")!) && !s.contains(IPAddress.parseIPv4("10.89.4.1")!))
        #expect(s.firstHost.map(IPAddress.format) == "10.89.3.1")
        #expect(Subnet("10.0.0.0/33") == nil && Subnet("10.0.0/8") == nil && Subnet("a.b.c.d/8") == nil)
        #expect(IPAddress.parseIPv4("01.2.3.4") != nil && IPAddress.parseIPv4("1.2.3.4.5") == nil && IPAddress.parseIPv4("1..3.4") == nil)
    }

    @Test func overlapsAndAllocation() throws {
        let a = try #require(Subnet("10.88.0.0/16")), b = try #require(Subnet("10.88.5.0/24")), c = try #require(Subnet("10.89.0.0/24"))
        #expect(a.overlaps(b) && b.overlaps(a) && !a.overlaps(c))
        let gw = c.firstHost
        let first = try #require(c.nextFree(used: [], gateway: gw))
        #expect(IPAddress.format(first) == "10.89.0.2")
        #expect(IPAddress.format(c.nextFree(used: [first], gateway: gw)!) == "10.89.0.3")
        let tiny = try #require(Subnet("10.1.1.0/30"))
        #expect(tiny.nextFree(used: [], gateway: tiny.firstHost).map(IPAddress.format) == "10.1.1.2")
        #expect(tiny.nextFree(used: [IPAddress.parseIPv4("10.1.1.2")!], gateway: tiny.firstHost) == nil)
    }

    @Test func hostRoutesAndDefaultPick() throws {
        let text = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
            eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            podman0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
            br0\t0000590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            """
        let routes = HostRoutes.parse(text)
        #expect(routes.map(\.description) == ["192.168.0.0/24", "10.88.0.0/16", "10.89.0.0/24"])
        let pick = HostRoutes.pick(HostRoutes.defaultCandidates(), avoiding: routes)
        #expect(pick?.description == "10.91.0.0/16")
        #expect(HostRoutes.defaultCandidates().first?.description == "10.89.0.0/16")
        #expect(HostRoutes.pick([Subnet("10.88.1.0/24")!], avoiding: routes) == nil)
    }
}

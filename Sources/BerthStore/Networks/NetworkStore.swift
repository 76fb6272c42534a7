import BerthAPI
import BerthCore
import Foundation
import GRDB

/// A network row: what netavark is told and `network inspect` shows.
public struct NetworkRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var driver: String
    /// The bridge interface on the host.
    public var bridge: String
    public var subnet: String
    public var gateway: String
    public var `internal`: Bool
    public var dnsEnabled: Bool
    public var labels: [String: String]
    public var createdAt: Int64
    /// `--ipv6` networks: the IPv6 subnet and gateway beside the IPv4 ones.
    public var subnet6: String?
    public var gateway6: String?
    /// Docker's `Attachable`, kept and shown (berth has no swarm: every network is).
    public var attachable = false
    /// The driver options as given (`com.docker.network.bridge.name`, `…driver.mtu`…).
    public var options: [String: String] = [:]
    /// IPAM's `ip_range`: containers' addresses come from it.
    public var ipRange: String?
    /// IPAM's auxiliary addresses: names for addresses never handed out.
    public var auxAddresses: [String: String] = [:]

    public init(
        id: String, name: String, driver: String = "bridge", bridge: String, subnet: String, gateway: String,
        internal: Bool = false, dnsEnabled: Bool = false, labels: [String: String] = [:], createdAt: Int64,
        subnet6: String? = nil, gateway6: String? = nil
    ) {
        self.id = id; self.name = name; self.driver = driver; self.bridge = bridge; self.subnet = subnet
        self.gateway = gateway; self.`internal` = `internal`; self.dnsEnabled = dnsEnabled; self.labels = labels
        self.createdAt = createdAt; self.subnet6 = subnet6; self.gateway6 = gateway6
    }

    init(row r: Row) {
        id = r["id"]; name = r["name"]; driver = r["driver"]; bridge = r["bridge"] ?? ""; subnet = r["subnet"] ?? ""
        gateway = r["gateway"] ?? ""; `internal` = r["internal"]; dnsEnabled = r["dns_enabled"]; createdAt = r["created_at"]
        subnet6 = r["subnet6"]; gateway6 = r["gateway6"]
        labels = Self.stringMap(r["labels_json"])
        attachable = r["attachable"] ?? false
        options = Self.stringMap(r["options_json"])
        ipRange = r["ip_range"]
        auxAddresses = Self.stringMap(r["aux_json"])
    }

    /// A JSON object of strings kept in a text column (none, or unreadable: empty).
    static func stringMap(_ text: String?) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data((text ?? "{}").utf8))) ?? [:]
    }
}

/// A container's place on a network.
public struct NetworkAttachment: Sendable, Equatable {
    public var network: NetworkRecord
    /// The address while the container runs; nil otherwise.
    public var ip: String?
    public var mac: String?
    public var aliases: [String]
    /// The IPv6 address while the container runs, on `--ipv6` networks.
    public var ip6: String? = nil
    /// `--ip` / `--mac-address`: used at every start.
    public var requestedIP: String? = nil
    public var requestedMAC: String? = nil
}

/// One port row of a container: published (-p/-P) or only exposed.
public struct PortRow: Sendable, Equatable {
    public var containerPort: Int
    public var proto: String
    public var hostIP: String
    /// The host port in use (published rows, while running; fixed ones always).
    public var hostPort: Int?
    public var published: Bool
    /// What -p named: nil for any free port; with `requestedRangeEnd`, a range to pick from.
    public var requestedHostPort: Int?
    public var requestedRangeEnd: Int?

    public init(
        containerPort: Int, proto: String, hostIP: String = "", hostPort: Int? = nil, published: Bool,
        requestedHostPort: Int? = nil, requestedRangeEnd: Int? = nil
    ) {
        self.containerPort = containerPort; self.proto = proto; self.hostIP = hostIP; self.hostPort = hostPort
        self.published = published; self.requestedHostPort = requestedHostPort; self.requestedRangeEnd = requestedRangeEnd
    }

    /// A fixed host port is recorded at create; a chosen one at each start.
    public var isFixed: Bool { requestedHostPort != nil && requestedRangeEnd == nil }
}

/// Network reads and writes: networks, the addresses berthd hands out, port rows.
public enum NetworkStore {
    public static func get(_ tx: StoreTransaction, _ ref: String) throws -> NetworkRecord? {
        try Row.fetchOne(
            tx.db, sql: "SELECT * FROM networks WHERE name = ? OR id = ? ORDER BY name = ? DESC LIMIT 1",
            arguments: [ref, ref, ref]
        ).map(NetworkRecord.init)
    }

    public static func list(_ tx: StoreTransaction) throws -> [NetworkRecord] {
        try Row.fetchAll(tx.db, sql: "SELECT * FROM networks ORDER BY name").map(NetworkRecord.init)
    }

    /// Records a network and its `create` event.
    public static func insert(_ tx: StoreTransaction, _ n: NetworkRecord) throws {
        let labels = String(decoding: try JSONEncoder.sorted.encode(n.labels), as: UTF8.self)
        try tx.db.execute(
            sql: """
                INSERT INTO networks (id, name, driver, bridge, subnet, gateway, created_at, internal, dns_enabled, labels_json,
                  subnet6, gateway6, attachable, options_json, ip_range, aux_json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                n.id, n.name, n.driver, n.bridge, n.subnet, n.gateway, n.createdAt, n.internal, n.dnsEnabled, labels, n.subnet6, n.gateway6,
                n.attachable, String(decoding: try JSONEncoder.sorted.encode(n.options), as: UTF8.self),
                n.ipRange, n.auxAddresses.isEmpty ? nil : String(decoding: try JSONEncoder.sorted.encode(n.auxAddresses), as: UTF8.self),
            ])
        try Events.append(tx, type: "network", action: "create", actorID: n.id, attributes: ["name": n.name, "type": n.driver])
    }

    /// Changes a network's bridge and subnet (the default network when berthd's flags change
    /// and no container holds an address on it).
    public static func readdress(_ tx: StoreTransaction, id: String, bridge: String, subnet: String, gateway: String) throws {
        try tx.db.execute(
            sql: "UPDATE networks SET bridge = ?, subnet = ?, gateway = ? WHERE id = ?",
            arguments: [bridge, subnet, gateway, id])
    }

    public static func attachmentCount(_ tx: StoreTransaction, networkID: String) throws -> Int {
        try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM network_attachments WHERE network_id = ?", arguments: [networkID]) ?? 0
    }

    /// Addresses held on a network.
    public static func usedIPs(_ tx: StoreTransaction, networkID: String) throws -> [String] {
        try String.fetchAll(
            tx.db,
            sql: """
                SELECT ip FROM network_attachments WHERE network_id = ?1 AND ip IS NOT NULL
                UNION SELECT requested_ip FROM network_attachments WHERE network_id = ?1 AND requested_ip IS NOT NULL
                """, arguments: [networkID])
    }

    /// Containers in state `created` that hold an address (a start cut short by a crash).
    public static func createdHoldingAddresses(_ tx: StoreTransaction) throws -> Set<String> {
        Set(
            try String.fetchAll(
                tx.db,
                sql: """
                    SELECT DISTINCT a.container_id FROM network_attachments a JOIN containers c ON c.id = a.container_id
                    WHERE c.state = 'created' AND a.ip IS NOT NULL
                    """))
    }

    /// The container (another one) whose run holds `ip` on a network, if any.
    public static func holder(_ tx: StoreTransaction, networkID: String, ip: String, excluding id: String) throws -> String? {
        try String.fetchOne(
            tx.db, sql: "SELECT container_id FROM network_attachments WHERE network_id = ? AND ip = ? AND container_id != ?",
            arguments: [networkID, ip, id])
    }

    /// Puts a container on a network; its address comes at start (`ip` nil until then).
    public static func attach(
        _ tx: StoreTransaction, containerID: String, networkID: String, ip: String?, aliases: [String],
        requestedIP: String? = nil, requestedMAC: String? = nil
    ) throws {
        try tx.db.execute(
            sql: """
                INSERT INTO network_attachments (container_id, network_id, ip, aliases, requested_ip, requested_mac)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [containerID, networkID, ip, aliases.joined(separator: ","), requestedIP, requestedMAC])
    }

    /// Gives an attachment its address for this run.
    public static func setIP(_ tx: StoreTransaction, containerID: String, networkID: String, ip: String) throws {
        try tx.db.execute(
            sql: "UPDATE network_attachments SET ip = ? WHERE container_id = ? AND network_id = ?",
            arguments: [ip, containerID, networkID])
    }

    /// Gives the addresses back when the container stops (Docker's rule: only running
    /// containers hold one, so thousands of stopped ones never exhaust a subnet).
    static func releaseIPs(_ tx: StoreTransaction, containerID: String) throws {
        try tx.db.execute(sql: "UPDATE network_attachments SET ip = NULL, ip6 = NULL, mac = NULL WHERE container_id = ?", arguments: [containerID])
    }

    public static func setMAC(_ tx: StoreTransaction, containerID: String, networkID: String, mac: String?) throws {
        try tx.db.execute(
            sql: "UPDATE network_attachments SET mac = ? WHERE container_id = ? AND network_id = ?",
            arguments: [mac, containerID, networkID])
    }

    public static func attachments(_ tx: StoreTransaction, containerID: String) throws -> [NetworkAttachment] {
        try fetchAttachments(tx, containerID: containerID).map(\.1)
    }

    public static func insertPorts(_ tx: StoreTransaction, containerID: String, _ rows: [PortRow]) throws {
        for p in rows {
            try tx.db.execute(
                sql: """
                    INSERT OR IGNORE INTO port_mappings (container_id, host_ip, host_port, container_port, protocol, published,
                        requested_host_port, requested_range_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    containerID, p.hostIP, p.hostPort, p.containerPort, p.proto, p.published, p.requestedHostPort,
                    p.requestedRangeEnd,
                ])
        }
    }

    /// Every container's port rows, for the list.
    public static func allPorts(_ tx: StoreTransaction) throws -> [String: [PortRow]] {
        Dictionary(grouping: try fetchPorts(tx, containerID: nil), by: \.containerID).mapValues { $0.map(\.port) }
    }

    /// Every container's networks, for the list.
    public static func allAttachments(_ tx: StoreTransaction) throws -> [String: [NetworkAttachment]] {
        Dictionary(grouping: try fetchAttachments(tx, containerID: nil), by: \.0).mapValues { $0.map(\.1) }
    }

    /// The container's port rows with their row ids.
    public static func ports(_ tx: StoreTransaction, containerID: String) throws -> [(rowID: Int64, port: PortRow)] {
        try fetchPorts(tx, containerID: containerID).map { ($0.rowID, $0.port) }
    }

    /// Port rows of one container or of all, in `port`'s order.
    static func fetchPorts(_ tx: StoreTransaction, containerID: String?) throws -> [(containerID: String, rowID: Int64, port: PortRow)] {
        try Row.fetchAll(
            tx.db,
            sql: """
                SELECT container_id, rowid, container_port, protocol, host_ip, host_port, published, requested_host_port,
                    requested_range_end
                FROM port_mappings \(containerID == nil ? "" : "WHERE container_id = ?") ORDER BY container_port, protocol, host_ip
                """, arguments: StatementArguments(containerID.map { [$0] } ?? [])
        ).map { r in
            (
                r[0], r[1],
                PortRow(
                    containerPort: r[2], proto: r[3], hostIP: r[4], hostPort: r[5], published: r[6],
                    requestedHostPort: r[7], requestedRangeEnd: r[8])
            )
        }
    }

    /// Attachments (with their networks) of one container or of all, by network name.
    static func fetchAttachments(_ tx: StoreTransaction, containerID: String?) throws -> [(String, NetworkAttachment)] {
        try Row.fetchAll(
            tx.db,
            sql: """
                SELECT n.*, a.container_id AS a_container, a.ip AS a_ip, a.mac AS a_mac, a.aliases AS a_aliases,
                  a.requested_ip AS a_rip, a.requested_mac AS a_rmac, a.ip6 AS a_ip6
                FROM network_attachments a JOIN networks n ON n.id = a.network_id
                \(containerID == nil ? "" : "WHERE a.container_id = ?") ORDER BY n.name
                """, arguments: StatementArguments(containerID.map { [$0] } ?? [])
        ).map { r in
            let aliases: String = r["a_aliases"] ?? ""
            return (
                r["a_container"],
                NetworkAttachment(
                    network: NetworkRecord(row: r), ip: r["a_ip"], mac: r["a_mac"], aliases: aliases.split(separator: ",").map(String.init),
                    ip6: r["a_ip6"], requestedIP: r["a_rip"], requestedMAC: r["a_rmac"])
            )
        }
    }

    /// Keeps the running run's addresses and published ports in its `runs` row (history shows
    /// what was reachable where, also after the container is gone).
    public static func recordRunNetwork(_ tx: StoreTransaction, containerID: String) throws {
        try tx.db.execute(
            sql: """
                UPDATE runs SET
                  addresses = (SELECT group_concat(n.name || '=' || a.ip, ' ') FROM network_attachments a
                               JOIN networks n ON n.id = a.network_id WHERE a.container_id = ?1 AND a.ip IS NOT NULL),
                  ports = (SELECT group_concat(CASE WHEN host_ip = '' THEN '0.0.0.0' ELSE host_ip END || ':' || host_port
                                               || '->' || container_port || '/' || protocol, ', ')
                           FROM port_mappings WHERE container_id = ?1 AND published = 1 AND host_port IS NOT NULL)
                WHERE id = (SELECT max(id) FROM runs WHERE container_id = ?1)
                """, arguments: [containerID])
        try endpointEvents(tx, containerID: containerID, action: "connect")
    }

    /// Docker's `network connect`/`disconnect` events as a run joins and leaves its networks
    /// (the networks where it holds an address).
    static func endpointEvents(_ tx: StoreTransaction, containerID: String, action: String) throws {
        let rows = try Row.fetchAll(
            tx.db,
            sql: """
                SELECT n.id, n.name, n.driver FROM network_attachments a JOIN networks n ON n.id = a.network_id
                WHERE a.container_id = ? AND a.ip IS NOT NULL ORDER BY n.name
                """, arguments: [containerID])
        for r in rows {
            try Events.append(
                tx, type: "network", action: action, actorID: r[0],
                attributes: ["name": r[1], "type": r[2], "container": containerID])
        }
    }

    /// Records the host ports a start chose.
    public static func setHostPorts(_ tx: StoreTransaction, _ chosen: [(rowID: Int64, hostPort: Int)]) throws {
        for c in chosen {
            try tx.db.execute(sql: "UPDATE port_mappings SET host_port = ? WHERE rowid = ?", arguments: [c.hostPort, c.rowID])
        }
    }

    /// What a run held and its end gives back, in the transaction that records the end:
    /// chosen host ports (fixed ones stay recorded) and addresses.
    public static func releaseRun(_ tx: StoreTransaction, containerID: String) throws {
        try endpointEvents(tx, containerID: containerID, action: "disconnect")
        try releaseChosenPorts(tx, containerID: containerID)
        try releaseIPs(tx, containerID: containerID)
    }

    /// Gives back the ports a start chose (fixed ones stay recorded).
    static func releaseChosenPorts(_ tx: StoreTransaction, containerID: String) throws {
        try tx.db.execute(
            sql: """
                UPDATE port_mappings SET host_port = NULL
                WHERE container_id = ? AND published = 1 AND (requested_host_port IS NULL OR requested_range_end IS NOT NULL)
                """, arguments: [containerID])
    }

    /// The host ports other running containers hold: read once per start, then checked in
    /// memory for every candidate port.
    public static func heldPorts(_ tx: StoreTransaction, excluding id: String) throws -> [(hostIP: String, port: Int, proto: String)] {
        try Row.fetchAll(
            tx.db,
            sql: """
                SELECT p.host_ip, p.host_port, p.protocol FROM port_mappings p JOIN containers c ON c.id = p.container_id
                WHERE p.host_port IS NOT NULL AND p.published = 1 AND p.container_id != ?
                  AND c.state IN \(ContainerState.sqlList(ContainerState.live))
                """, arguments: [id]
        ).map { ($0[0], $0[1], $0[2]) }
    }
}

extension NetworkStore {
    /// Removes a network row and records its `destroy` event.
    public static func delete(_ tx: StoreTransaction, _ n: NetworkRecord) throws {
        try tx.db.execute(sql: "DELETE FROM networks WHERE id = ?", arguments: [n.id])
        try Events.append(tx, type: "network", action: "destroy", actorID: n.id, attributes: ["name": n.name, "type": n.driver])
    }

    /// Names of the containers attached to a network.
    public static func containerNames(_ tx: StoreTransaction, networkID: String) throws -> [String] {
        try String.fetchAll(
            tx.db,
            sql: """
                SELECT c.name FROM network_attachments a JOIN containers c ON c.id = a.container_id
                WHERE a.network_id = ? ORDER BY c.name
                """, arguments: [networkID])
    }

    /// Containers on a network with their addresses, for `network inspect`.
    public static func endpoints(
        _ tx: StoreTransaction, networkID: String
    ) throws -> [(id: String, name: String, ip: String, mac: String?, ip6: String?)] {
        try Row.fetchAll(
            tx.db,
            sql: """
                SELECT c.id, c.name, a.ip, a.mac, a.ip6 FROM network_attachments a JOIN containers c ON c.id = a.container_id
                WHERE a.network_id = ? AND c.state IN \(ContainerState.sqlList(ContainerState.runningStates)) ORDER BY c.name
                """, arguments: [networkID]
        ).map { ($0[0], $0[1], $0[2] ?? "", $0[3], $0[4]) }
    }
}

extension NetworkStore {
    /// Takes a container off a network, with its `disconnect` event.
    public static func detach(_ tx: StoreTransaction, containerID: String, containerName: String, network: NetworkRecord) throws {
        try tx.db.execute(
            sql: "DELETE FROM network_attachments WHERE container_id = ? AND network_id = ?",
            arguments: [containerID, network.id])
        try Events.append(
            tx, type: "network", action: "disconnect", actorID: network.id,
            attributes: ["name": network.name, "type": network.driver, "container": containerID])
    }

    /// The `connect` event (the row is written by `attach`).
    public static func connected(_ tx: StoreTransaction, containerID: String, network: NetworkRecord) throws {
        try Events.append(
            tx, type: "network", action: "connect", actorID: network.id,
            attributes: ["name": network.name, "type": network.driver, "container": containerID])
    }
}

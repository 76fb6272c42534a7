import BerthCore
import Foundation
import GRDB

extension RowSnapshots {
    /// A snapshot's networks (kept when a network of that id or name is there already), the
    /// container's places on them — addresses only for a run still going — and its port rows.
    static func restoreNetworking(
        _ tx: StoreTransaction, _ doc: Document, id: String, live: LiveState,
        insert: (String, [String: SQLValue], Set<String>, Bool) throws -> Void
    ) throws {
        let db = tx.db
        let networkColumns = Set(try db.columns(in: "networks").map(\.name))
        var byOldID: [String: (id: String, name: String)] = [:]
        for n in doc.networks ?? [] {
            guard case .text(let nid)? = n["id"], case .text(let name)? = n["name"] else { continue }
            if let have = try String.fetchOne(db, sql: "SELECT id FROM networks WHERE id = ? OR name = ?", arguments: [nid, name]) {
                byOldID[nid] = (have, name)
            } else {
                try insert("networks", n, networkColumns, false)
                byOldID[nid] = (nid, name)
            }
        }
        let running = live.state == "running"
        let attachmentColumns = Set(try db.columns(in: "network_attachments").map(\.name))
        for var a in doc.attachments ?? [] {
            guard case .text(let old)? = a["network_id"], let net = byOldID[old] else { continue }
            a["network_id"] = .text(net.id)
            let held = running ? live.addresses[net.name] ?? [] : []
            a["ip"] = held.first { !$0.contains(":") }.map(SQLValue.text) ?? .null
            a["ip6"] = held.first { $0.contains(":") }.map(SQLValue.text) ?? .null
            if !running { a["mac"] = .null }
            try insert("network_attachments", a, attachmentColumns, true)
        }
        let portColumns = Set(try db.columns(in: "port_mappings").map(\.name))
        for var p in doc.ports ?? [] {
            if running, case .integer(let cp)? = p["container_port"], case .text(let proto)? = p["protocol"],
                case .text(let ip)? = p["host_ip"], let hp = live.hostPorts["\(cp)/\(proto)/\(ip)"]
            {
                p["host_port"] = .integer(Int64(hp))
            }
            try insert("port_mappings", p, portColumns, true)
        }
    }
}

extension RowSnapshots {
    /// Every network row as JSON (`ROOT/network-records.json`), so networks no container is on
    /// come back too.
    public static func networks(_ tx: StoreTransaction) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(try Row.fetchAll(tx.db, sql: "SELECT * FROM networks ORDER BY name").map(dict))
    }

    /// Puts back the networks of such a file that are not there (by id or name); returns how many.
    public static func restoreNetworks(_ tx: StoreTransaction, _ data: Data) throws -> Int {
        let db = tx.db
        let rows = try JSONDecoder().decode([[String: SQLValue]].self, from: data)
        let columns = Set(try db.columns(in: "networks").map(\.name))
        var restored = 0
        for n in rows {
            guard case .text(let nid)? = n["id"], case .text(let name)? = n["name"] else { continue }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM networks WHERE id = ? OR name = ?", arguments: [nid, name]) == true { continue }
            let keys = n.keys.filter { columns.contains($0) }.sorted()
            try db.execute(
                sql: "INSERT INTO networks (\(keys.joined(separator: ", "))) VALUES (\(keys.map { _ in "?" }.joined(separator: ", ")))",
                arguments: StatementArguments(keys.map { n[$0]!.database }))
            restored += 1
        }
        return restored
    }
}

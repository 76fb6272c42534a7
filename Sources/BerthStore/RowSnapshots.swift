import BerthCore
import Foundation
import GRDB

/// A container's rows as a JSON document kept in its folder (`create.json`), so that
/// `berthd --rebuild-db` can put them back when the database is lost. Columns are named, so a
/// snapshot from an older schema restores into a newer one (missing columns take defaults).
public enum RowSnapshots {
    struct Document: Codable {
        var container: [String: SQLValue]
        var labels: [[String: SQLValue]]
        var mounts: [[String: SQLValue]]
        var volumes: [[String: SQLValue]]
        /// Its networks, its places on them and its port rows (absent in older snapshots).
        var networks: [[String: SQLValue]]?
        var attachments: [[String: SQLValue]]?
        var ports: [[String: SQLValue]]?
    }

    static func dict(_ r: Row) -> [String: SQLValue] {
        var out: [String: SQLValue] = [:]
        for (k, v) in r { out[k] = SQLValue(v) }
        return out
    }

    /// The container's rows (container, labels, mounts, the volumes it mounts) as JSON.
    public static func container(_ tx: StoreTransaction, id: String) throws -> Data? {
        let db = tx.db
        guard let c = try Row.fetchOne(db, sql: "SELECT * FROM containers WHERE id = ?", arguments: [id]) else { return nil }
        let doc = Document(
            container: dict(c),
            labels: try Row.fetchAll(db, sql: "SELECT * FROM container_labels WHERE container_id = ?", arguments: [id]).map(dict),
            mounts: try Row.fetchAll(db, sql: "SELECT * FROM mounts WHERE container_id = ?", arguments: [id]).map(dict),
            volumes: try Row.fetchAll(
                db,
                sql: """
                    SELECT v.* FROM volumes v WHERE v.name IN (SELECT volume_name FROM mounts WHERE container_id = ?)
                    """, arguments: [id]
            ).map(dict),
            networks: try Row.fetchAll(
                db, sql: "SELECT n.* FROM networks n JOIN network_attachments a ON a.network_id = n.id WHERE a.container_id = ?",
                arguments: [id]
            ).map(dict),
            attachments: try Row.fetchAll(db, sql: "SELECT * FROM network_attachments WHERE container_id = ?", arguments: [id]).map(dict),
            ports: try Row.fetchAll(db, sql: "SELECT * FROM port_mappings WHERE container_id = ?", arguments: [id]).map(dict))
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(doc)
    }

    /// What is known on disk of a container's run when its rows come back.
    public struct LiveState: Sendable {
        public var state: String
        public var pid: Int64?
        public var conmonPid: Int64?
        public var conmonStartTime: Int64?
        public var exitCode: Int64?
        public var bootID: String?
        /// A running container's addresses by network name (from netavark's saved input).
        public var addresses: [String: [String]] = [:]
        /// And its host ports, by `containerPort/proto/hostIP`.
        public var hostPorts: [String: Int] = [:]
        public init(
            state: String, pid: Int64? = nil, conmonPid: Int64? = nil, conmonStartTime: Int64? = nil,
            exitCode: Int64? = nil, bootID: String? = nil, addresses: [String: [String]] = [:], hostPorts: [String: Int] = [:]
        ) {
            self.state = state; self.pid = pid; self.conmonPid = conmonPid; self.conmonStartTime = conmonStartTime
            self.exitCode = exitCode; self.bootID = bootID; self.addresses = addresses; self.hostPorts = hostPorts
        }
    }

    /// Puts a snapshot's rows back (volumes first, only those not there yet), with the state
    /// `live` says; returns the container id, or nil when its image is not in the database.
    public static func restore(_ tx: StoreTransaction, _ data: Data, live: (String) -> LiveState) throws -> String? {
        let db = tx.db
        let doc = try JSONDecoder().decode(Document.self, from: data)
        guard case .text(let id)? = doc.container["id"], case .text(let image)? = doc.container["image_id"] else { return nil }
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM images WHERE id = ?", arguments: [image]) == true else { return nil }
        let containerColumns = Set(try db.columns(in: "containers").map(\.name))
        func insert(_ table: String, _ row: [String: SQLValue], columns: Set<String>, orIgnore: Bool = false) throws {
            let keys = row.keys.filter { columns.contains($0) }.sorted()
            let sql =
                "INSERT \(orIgnore ? "OR IGNORE " : "")INTO \(table) (\(keys.joined(separator: ", "))) VALUES (\(keys.map { _ in "?" }.joined(separator: ", ")))"
            try db.execute(sql: sql, arguments: StatementArguments(keys.map { row[$0]!.database }))
        }
        let volumeColumns = Set(try db.columns(in: "volumes").map(\.name))
        for v in doc.volumes { try insert("volumes", v, columns: volumeColumns, orIgnore: true) }
        var row = doc.container
        let now = live(id)
        row["state"] = .text(now.state)
        row["pid"] = now.pid.map(SQLValue.integer) ?? .null
        row["conmon_pid"] = now.conmonPid.map(SQLValue.integer) ?? .null
        row["conmon_start_time"] = now.conmonStartTime.map(SQLValue.integer) ?? .null
        if let code = now.exitCode { row["exit_code"] = .integer(code) }
        if let boot = now.bootID { row["boot_id"] = .text(boot) }
        if now.state != "created" { row["has_run"] = .integer(1) }
        row["remove_pending"] = .integer(0)
        // A name taken meanwhile keeps the newer holder; the restored one gets its id's prefix.
        if case .text(let name)? = row["name"],
            try Bool.fetchOne(db, sql: "SELECT 1 FROM containers WHERE name = ?", arguments: [name]) == true
        {
            row["name"] = .text(name + "_" + String(id.prefix(12)))
        }
        try insert("containers", row, columns: containerColumns)
        let labelColumns = Set(try db.columns(in: "container_labels").map(\.name))
        for l in doc.labels { try insert("container_labels", l, columns: labelColumns) }
        let mountColumns = Set(try db.columns(in: "mounts").map(\.name))
        for m in doc.mounts { try insert("mounts", m, columns: mountColumns) }
        try restoreNetworking(tx, doc, id: id, live: now, insert: insert)
        return id
    }

    /// A volume found on disk with no row: recorded (anonymous when named like an id).
    public static func restoreVolume(_ tx: StoreTransaction, name: String, mountpoint: String, createdAt: Int64) throws {
        let db = tx.db
        try db.execute(
            sql: "INSERT OR IGNORE INTO volumes (name, mountpoint, anonymous, created_at) VALUES (?, ?, ?, ?)",
            arguments: [name, mountpoint, name.count == 64 && Identifier.isHex(name), createdAt])
    }
}

import BerthAPI
import BerthCore
import Foundation
import GRDB

/// A container row: what `ps`, `inspect` and the supervisor read.
public struct ContainerRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var imageID: String
    public var imageRef: String
    public var command: String
    public var state: ContainerState
    public var pid: Int64?
    public var conmonPid: Int64?
    public var conmonStartTime: Int64?
    public var exitCode: Int64?
    public var oomKilled: Bool
    public var error: String?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var hasRun: Bool
    public var restartPolicy: String
    public var restartMax: Int64
    public var restartCount: Int64
    public var stoppedByUser: Bool
    public var autoRemove: Bool
    public var bootID: String?
    public var configJSON: String
    public var hostConfigJSON: String
    public var healthStatus: String?
    public var healthJSON: String?
    public var sizeRw: Int64?

    init(row r: Row) {
        id = r["id"]; name = r["name"]; imageID = r["image_id"]; imageRef = r["image_ref"]
        command = r["command"]; state = ContainerState(stored: r["state"]); pid = r["pid"]; conmonPid = r["conmon_pid"]
        conmonStartTime = r["conmon_start_time"]; exitCode = r["exit_code"]; oomKilled = r["oom_killed"]
        error = r["error"]; createdAt = r["created_at"]; startedAt = r["started_at"]; finishedAt = r["finished_at"]
        hasRun = r["has_run"]; restartPolicy = r["restart_policy"]; restartMax = r["restart_max"]
        restartCount = r["restart_count"]; stoppedByUser = r["stopped_by_user"]; autoRemove = r["auto_remove"]
        bootID = r["boot_id"]; configJSON = r["config_json"]; hostConfigJSON = r["host_config_json"]
        healthStatus = r["health_status"]; healthJSON = r["health_json"]; sizeRw = r["size_rw"]
    }

    public var isRunning: Bool { state == .running || state == .paused || state == .restarting }

    /// HostConfig's NetworkMode, `none` when unset (containers made before berth had networks).
    /// Read by a scan, not a JSON decode: ps shows it for thousands of rows.
    public var networkMode: String {
        guard let r = hostConfigJSON.range(of: "\"NetworkMode\":\"") else { return "none" }
        let mode = hostConfigJSON[r.upperBound...].prefix { $0 != "\"" }
        return mode.isEmpty ? "none" : String(mode)
    }
}

/// Container queries and writes; writes happen in berthd's transactions only.
public enum ContainerQueries {
    public static func get(_ tx: StoreTransaction, id: String) throws -> ContainerRecord? {
        let db = tx.db
        return try Row.fetchOne(db, sql: "SELECT * FROM containers WHERE id = ?", arguments: [id]).map(ContainerRecord.init)
    }

    /// Docker's order: exact id, exact name, then a unique id prefix (one query).
    public static func resolve(_ tx: StoreTransaction, _ ref: String) throws -> ContainerRecord {
        let db = tx.db
        let name = ref.hasPrefix("/") ? String(ref.dropFirst()) : ref
        let hex = !ref.isEmpty && Identifier.isHex(ref)
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM containers WHERE id = ? OR name = ? OR (? AND id >= ? AND id < ?)
                ORDER BY id = ? DESC, name = ? DESC LIMIT 3
                """, arguments: [ref, name, hex, ref, ref + "g", ref, name]
        ).map(ContainerRecord.init)
        if let c = rows.first(where: { $0.id == ref }) { return c }
        if let c = rows.first(where: { $0.name == name }) { return c }
        let prefixed = rows.filter { $0.id.hasPrefix(ref) }
        if prefixed.count > 1 { throw BerthError.invalid("multiple IDs found with provided prefix: \(ref)") }
        if hex, let c = prefixed.first { return c }
        throw BerthError.notFound("No such container: \(ref)")
    }

    public static func list(_ tx: StoreTransaction, all: Bool) throws -> [ContainerRecord] {
        let db = tx.db
        let sql =
            all
            ? "SELECT * FROM containers ORDER BY created_at DESC"
            : "SELECT * FROM containers WHERE state IN \(ContainerState.sqlList(ContainerState.live)) ORDER BY created_at DESC"
        return try Row.fetchAll(db, sql: sql).map(ContainerRecord.init)
    }

    public static func withState(_ tx: StoreTransaction, _ states: [ContainerState]) throws -> [ContainerRecord] {
        let db = tx.db
        let marks = states.map { _ in "?" }.joined(separator: ",")
        return try Row.fetchAll(
            db, sql: "SELECT * FROM containers WHERE state IN (\(marks))",
            arguments: StatementArguments(states.map(\.rawValue))
        ).map(ContainerRecord.init)
    }

    public static func labels(_ tx: StoreTransaction, id: String) throws -> [String: String] {
        let db = tx.db
        var out: [String: String] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT key, value FROM container_labels WHERE container_id = ?", arguments: [id]) {
            out[r[0]] = r[1]
        }
        return out
    }

    public struct MountRow: Sendable, Codable, Equatable {
        public var type: String
        public var source: String?
        public var destination: String
        public var volumeName: String?
        public var readOnly: Bool
        /// Comma-separated: `nocopy` (a volume that is not filled from the image), a bind's
        /// propagation (`rshared`, `rslave`…).
        public var options: String?
        public init(type: String, source: String?, destination: String, volumeName: String?, readOnly: Bool, options: String? = nil) {
            self.type = type; self.source = source; self.destination = destination
            self.volumeName = volumeName; self.readOnly = readOnly; self.options = options
        }

        public var optionList: [String] { (options ?? "").split(separator: ",").map(String.init) }

        /// A bind's propagation as asked (`rshared`…), nil for Docker's default.
        public var propagation: String? {
            type == "bind" ? optionList.last { HostConfig.Mount.BindOptions.propagations.contains($0) } : nil
        }
    }

    /// The ids of containers carrying a label key.
    public static func ids(_ tx: StoreTransaction, withLabel key: String) throws -> [String] {
        try String.fetchAll(tx.db, sql: "SELECT container_id FROM container_labels WHERE key = ?", arguments: [key])
    }

    public static func mounts(_ tx: StoreTransaction, id: String) throws -> [MountRow] {
        let db = tx.db
        return try Row.fetchAll(
            db, sql: "SELECT type, source, destination, volume_name, read_only, options FROM mounts WHERE container_id = ? ORDER BY position",
            arguments: [id]
        ).map {
            MountRow(type: $0[0], source: $0[1], destination: $0[2], volumeName: $0[3], readOnly: $0[4], options: $0[5])
        }
    }

    /// Every container's mounts, in one query (list items).
    public static func allMounts(_ tx: StoreTransaction) throws -> [String: [MountRow]] {
        var out: [String: [MountRow]] = [:]
        for r in try Row.fetchAll(
            tx.db, sql: "SELECT container_id, type, source, destination, volume_name, read_only, options FROM mounts ORDER BY container_id, position")
        {
            out[r[0], default: []].append(MountRow(type: r[1], source: r[2], destination: r[3], volumeName: r[4], readOnly: r[5], options: r[6]))
        }
        return out
    }

    /// The name's holder, if taken.
    public static func idForName(_ tx: StoreTransaction, _ name: String) throws -> String? {
        let db = tx.db
        return try String.fetchOne(db, sql: "SELECT id FROM containers WHERE name = ?", arguments: [name])
    }
}

/// A published port of a container.
public struct PortMapping: Sendable, Equatable {
    public var containerPort: Int
    public var proto: String
    public var hostIP: String?
    public var hostPort: Int?
}

extension ContainerQueries {
    /// The container's published ports, ordered as `port` prints them.
    public static func publishedPorts(_ tx: StoreTransaction, id: String) throws -> [PortMapping] {
        let db = tx.db
        return try Row.fetchAll(
            db,
            sql: """
                SELECT container_port, protocol, host_ip, host_port FROM port_mappings
                WHERE container_id = ? AND host_port IS NOT NULL ORDER BY container_port, protocol, host_ip
                """, arguments: [id]
        ).map { PortMapping(containerPort: $0[0], proto: $0[1], hostIP: $0[2], hostPort: $0[3]) }
    }
}

extension ContainerQueries {
    /// Names and short ids, for shell completion.
    public static func completionNames(_ tx: StoreTransaction) throws -> [String] {
        try Row.fetchAll(tx.db, sql: "SELECT name, substr(id, 1, 12) FROM containers").flatMap { [$0[0] as String, $0[1] as String] }
    }
}

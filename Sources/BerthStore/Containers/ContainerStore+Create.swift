import BerthCore
import GRDB

extension ContainerStore {
    /// A new container's row, as create records it.
    public struct NewContainer: Sendable {
        public var id: String
        public var name: String
        public var imageID: String
        public var imageRef: String
        public var command: String
        public var createdAt: Int64
        public var restartPolicy: String
        public var restartMax: Int
        public var autoRemove: Bool
        public var configJSON: String
        public var hostConfigJSON: String
        public var labels: [String: String]

        public init(
            id: String, name: String, imageID: String, imageRef: String, command: String, createdAt: Int64,
            restartPolicy: String, restartMax: Int, autoRemove: Bool, configJSON: String, hostConfigJSON: String,
            labels: [String: String]
        ) {
            self.id = id; self.name = name; self.imageID = imageID; self.imageRef = imageRef; self.command = command
            self.createdAt = createdAt; self.restartPolicy = restartPolicy; self.restartMax = restartMax
            self.autoRemove = autoRemove; self.configJSON = configJSON; self.hostConfigJSON = hostConfigJSON
            self.labels = labels
        }
    }

    /// One mount of a new container (its volume recorded already).
    public struct NewMount: Sendable {
        public var type: String
        public var source: String?
        public var destination: String
        public var volumeName: String?
        public var readOnly: Bool
        public var options: String?
        public init(type: String, source: String?, destination: String, volumeName: String?, readOnly: Bool, options: String?) {
            self.type = type; self.source = source; self.destination = destination
            self.volumeName = volumeName; self.readOnly = readOnly; self.options = options
        }
    }

    /// Inserts the container, its labels and mounts.
    public static func insert(_ tx: StoreTransaction, _ c: NewContainer, mounts: [NewMount]) throws {
        let db = tx.db
        try db.execute(
            sql: """
                INSERT INTO containers (id, name, image_id, image_ref, command, state, created_at, restart_policy,
                    restart_max, auto_remove, config_json, host_config_json)
                VALUES (?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                c.id, c.name, c.imageID, c.imageRef, c.command, c.createdAt, c.restartPolicy, c.restartMax,
                c.autoRemove, c.configJSON, c.hostConfigJSON,
            ])
        for (k, v) in c.labels {
            try db.execute(sql: "INSERT INTO container_labels (container_id, key, value) VALUES (?, ?, ?)", arguments: [c.id, k, v])
        }
        for (i, m) in mounts.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO mounts (container_id, position, type, source, destination, volume_name, read_only, options)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [c.id, i, m.type, m.source, m.destination, m.volumeName, m.readOnly, m.options])
        }
    }
}

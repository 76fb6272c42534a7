/// The schema migrations compiled into berth, in order. Index + 1 is the schema version.
public enum SchemaMigrations {
    /// (version, file name, SQL text). SwiftPM names the embedded `0001_x.sql` `_001_x_sql`.
    public static let all: [(version: Int, name: String, sql: String)] = [
        (1, "0001_initial.sql", String(decoding: PackageResources._001_initial_sql, as: UTF8.self)),
        (2, "0002_health.sql", String(decoding: PackageResources._002_health_sql, as: UTF8.self)),
        (3, "0003_remove_intent.sql", String(decoding: PackageResources._003_remove_intent_sql, as: UTF8.self)),
        (4, "0004_networks.sql", String(decoding: PackageResources._004_networks_sql, as: UTF8.self)),
        (5, "0005_pulls.sql", String(decoding: PackageResources._005_pulls_sql, as: UTF8.self)),
        (6, "0006_builds.sql", String(decoding: PackageResources._006_builds_sql, as: UTF8.self)),
        (7, "0007_fixed_addresses.sql", String(decoding: PackageResources._007_fixed_addresses_sql, as: UTF8.self)),
        (8, "0008_ipv6.sql", String(decoding: PackageResources._008_ipv6_sql, as: UTF8.self)),
        (9, "0009_blob_sources.sql", String(decoding: PackageResources._009_blob_sources_sql, as: UTF8.self)),
        (10, "0010_volume_copyup.sql", String(decoding: PackageResources._010_volume_copyup_sql, as: UTF8.self)),
        (11, "0011_push_metadata.sql", String(decoding: PackageResources._011_push_metadata_sql, as: UTF8.self)),
        (12, "0012_network_options.sql", String(decoding: PackageResources._012_network_options_sql, as: UTF8.self)),
        (13, "0013_history.sql", String(decoding: PackageResources._013_history_sql, as: UTF8.self)),
    ]

    /// The newest schema version this binary knows.
    public static var latest: Int { all.last?.version ?? 0 }
}

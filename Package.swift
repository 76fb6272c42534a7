// swift-tools-version:6.0
import PackageDescription

// Modules on a per-line hot path (reading conmon's log records and their times, Docker's
// multiplexed frames on both ends) are optimized in debug builds too: the tests run debug binaries, and `logs -f`
// must keep up with a container writing as fast as it can in every build, not only in release.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "berth",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berthd", targets: ["berthd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .target(name: "CBerthSys"),
        .target(name: "Migrations", path: "Migrations",
                exclude: ["README.md"],
                resources: [.embedInCode("0001_initial.sql"), .embedInCode("0002_health.sql"),
                            .embedInCode("0003_remove_intent.sql"), .embedInCode("0004_networks.sql"),
                            .embedInCode("0005_pulls.sql"), .embedInCode("0006_builds.sql"),
                            .embedInCode("0007_fixed_addresses.sql"),
                            .embedInCode("0008_ipv6.sql"), .embedInCode("0009_blob_sources.sql"),
                            .embedInCode("0010_volume_copyup.sql"), .embedInCode("0011_push_metadata.sql"),
                            .embedInCode("0012_network_options.sql"), .embedInCode("0013_history.sql")]),
        .target(name: "BerthCore", dependencies: [
            "CBerthSys",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: hotPath),
        // Docker Engine API types and the CLI's client: no SwiftNIO, so the CLI stays small and
        // starts fast; nothing of berth's own but BerthCore.
        .target(name: "BerthAPI", dependencies: ["BerthCore"], swiftSettings: hotPath),
        // The one owner of SQL. Image references (BerthImage) resolve names; rows become
        // Docker's shapes (BerthAPI) here so berthd and the CLI build them alike.
        .target(name: "BerthStore", dependencies: [
            "BerthCore", "BerthAPI", "BerthImage", "Migrations",
            .product(name: "GRDB", package: "GRDB.swift"),
            // Raw column reads on the hottest query (ps with thousands of rows).
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "BerthImage", dependencies: [
            "BerthCore", "CArchive", "CBerthSys",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "BerthRuntime", dependencies: [
            "BerthCore", "CBerthSys",
        ], swiftSettings: hotPath),
        // Container networking: -p syntax, IPv4 subnets and allocation, host routes, netavark's
        // input. Pure logic; the engine runs netavark.
        .target(name: "BerthNetwork", dependencies: ["BerthCore", "CBerthSys"]),
        // The registry client (OCI distribution) on AsyncHTTPClient: per-registry TLS (certs.d),
        // streamed and resumed downloads. Kept out of the CLI, whose start-up does without NIO.
        .target(name: "BerthRegistry", dependencies: [
            "BerthCore", "BerthImage",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Dockerfile parsing, word expansion, .dockerignore, COPY's tree copy: the builder's
        // pure parts; the engine runs the steps.
        .target(name: "BerthBuild", dependencies: ["BerthCore", "BerthImage", "CBerthSys"]),
        .target(name: "BerthEngine", dependencies: [
            "BerthCore", "BerthAPI", "BerthStore", "BerthImage", "BerthRuntime", "BerthNetwork", "BerthRegistry", "BerthBuild",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // berthd's API server.
        .target(name: "BerthServer", dependencies: [
            "BerthCore", "BerthEngine", "BerthStore", "BerthImage", "BerthAPI", "BerthRuntime",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "berthd", dependencies: [
            "BerthCore", "BerthEngine", "BerthAPI", "BerthServer", "BerthRuntime", "BerthStore", "BerthNetwork",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Compose files: the model, interpolation, merging and the plan (pure logic).
        .target(name: "BerthCompose", dependencies: [
            "BerthCore", "BerthAPI", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Kubernetes YAML from what berth knows of containers (pure logic).
        .target(name: "BerthKube", dependencies: [
            "BerthCore", "BerthAPI", .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "berth", dependencies: [
            "BerthCore", "BerthStore", "BerthImage", "BerthAPI", "BerthNetwork", "BerthCompose", "BerthKube",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // libFuzzer over the parsers (make fuzz), or a seeded run without it (make test).
        .executableTarget(name: "berth-fuzz", dependencies: [
            "BerthCore", "BerthAPI", "BerthImage", "BerthStore", "BerthEngine", "BerthNetwork", "BerthRegistry", "BerthBuild",
            "BerthCompose", "BerthKube",
        ]),
        .testTarget(name: "BerthCoreTests", dependencies: ["BerthCore"]),
        .testTarget(name: "BerthStoreTests", dependencies: [
            "BerthStore", "BerthCore", "BerthAPI", "Migrations",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BerthImageTests", dependencies: ["BerthImage", "BerthCore"]),
        .testTarget(name: "BerthRuntimeTests", dependencies: ["BerthRuntime", "BerthCore"]),
        .testTarget(name: "BerthEngineTests", dependencies: ["BerthEngine", "BerthImage", "BerthCore", "BerthAPI", "BerthStore"]),
        .testTarget(name: "berthTests", dependencies: ["berth", "BerthCore", "BerthStore", "BerthAPI"]),
        .testTarget(name: "BerthRegistryTests", dependencies: ["BerthRegistry", "BerthImage", "BerthCore"]),
        .testTarget(name: "BerthNetworkTests", dependencies: ["BerthNetwork", "BerthCore"]),
        .testTarget(name: "BerthBuildTests", dependencies: ["BerthBuild", "BerthImage", "BerthCore"]),
        .testTarget(name: "BerthAPITests", dependencies: ["BerthAPI", "BerthCore"]),
        .testTarget(name: "BerthComposeTests", dependencies: ["BerthCompose", "BerthAPI", "BerthCore"]),
        .testTarget(name: "BerthKubeTests", dependencies: ["BerthKube", "BerthAPI", "BerthCore"]),
        .testTarget(name: "BerthServerTests", dependencies: [
            "BerthServer", "BerthEngine", "BerthStore", "BerthAPI", "BerthCore", "BerthNetwork",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)

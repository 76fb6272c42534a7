import BerthAPI
import BerthCore
import Foundation

/// The keys Docker 25+ always returns in a container's `Config` and `HostConfig`, with Docker's
/// zero values: clients index them directly (docker-py reads `Config.Tty` before an attach).
/// What a container was created with wins; these fill only what is missing.
enum InspectDefaults {
    static let config: [String: JSONValue] = [
        "Hostname": .string(""), "Domainname": .string(""), "User": .string(""), "AttachStdin": .bool(false),
        "AttachStdout": .bool(false), "AttachStderr": .bool(false), "Tty": .bool(false), "OpenStdin": .bool(false),
        "StdinOnce": .bool(false), "Env": .array([]), "Cmd": .null, "Image": .string(""), "Volumes": .null,
        "WorkingDir": .string(""), "Entrypoint": .null, "OnBuild": .null, "Labels": .object([:]),
    ]

    static var hostConfig: [String: JSONValue] {
        let v2 = HostFacts.cgroupVersion == "2"
        func zero(_ keys: [String]) -> [String: JSONValue] { Dictionary(uniqueKeysWithValues: keys.map { ($0, .number(0)) }) }
        var d: [String: JSONValue] = [
            "Binds": .null, "ContainerIDFile": .string(""), "NetworkMode": .string("bridge"), "PortBindings": .object([:]),
            "RestartPolicy": .object(["Name": .string("no"), "MaximumRetryCount": .number(0)]), "AutoRemove": .bool(false),
            "VolumeDriver": .string(""), "VolumesFrom": .null, "ConsoleSize": .array([.number(0), .number(0)]),
            "CapAdd": .null, "CapDrop": .null, "CgroupnsMode": .string(v2 ? "private" : "host"), "Dns": .array([]),
            "DnsOptions": .array([]), "DnsSearch": .array([]), "ExtraHosts": .null, "GroupAdd": .null,
            "IpcMode": .string("private"), "Cgroup": .string(""), "Links": .null, "PidMode": .string(""),
            "Privileged": .bool(false), "PublishAllPorts": .bool(false), "ReadonlyRootfs": .bool(false),
            "SecurityOpt": .null, "UTSMode": .string(""), "UsernsMode": .string(""), "ShmSize": .number(67_108_864),
            "Runtime": .string("runc"), "Isolation": .string(""), "CgroupParent": .string(""),
            "BlkioWeightDevice": .array([]), "BlkioDeviceReadBps": .array([]), "BlkioDeviceWriteBps": .array([]),
            "BlkioDeviceReadIOps": .array([]), "BlkioDeviceWriteIOps": .array([]), "CpusetCpus": .string(""),
            "CpusetMems": .string(""), "Devices": .array([]), "DeviceCgroupRules": .null, "DeviceRequests": .null,
            "MemorySwappiness": .null, "OomKillDisable": v2 ? .null : .bool(false), "PidsLimit": .null,
            "Ulimits": .array([]), "MaskedPaths": .array(RuntimeDefaults.maskedPaths.map(JSONValue.string)),
            "ReadonlyPaths": .array(RuntimeDefaults.readonlyPaths.map(JSONValue.string)),
        ]
        d.merge(
            zero([
                "OomScoreAdj", "CpuShares", "Memory", "NanoCpus", "BlkioWeight", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod",
                "CpuRealtimeRuntime", "MemoryReservation", "MemorySwap", "CpuCount", "CpuPercent", "IOMaximumIOps",
                "IOMaximumBandwidth",
            ])
        ) { a, _ in a }
        return d
    }

    /// `value` (an object) with `defaults` under it.
    static func fill(_ value: JSONValue, _ defaults: [String: JSONValue]) -> JSONValue {
        guard case .object(let o) = value else { return .object(defaults) }
        return .object(o.merging(defaults) { mine, _ in mine })
    }
}

/// Options of Docker's create request that berth does not apply: refused when a client sets them
/// to anything but their zero value, never dropped in silence.
public enum UnsupportedOptions {
    /// HostConfig keys and what counts as unset for each.
    static let hostConfig: [(key: String, unset: @Sendable (JSONValue) -> Bool)] = [
        ("DeviceRequests", empty),
        ("CpuPeriod", zero), ("CpuQuota", zero), ("CpuRealtimePeriod", zero), ("CpuRealtimeRuntime", zero),
        ("CpusetMems", empty), ("BlkioWeight", zero), ("BlkioWeightDevice", empty), ("BlkioDeviceReadBps", empty),
        ("BlkioDeviceWriteBps", empty), ("BlkioDeviceReadIOps", empty), ("BlkioDeviceWriteIOps", empty),
        ("UsernsMode", empty), ("Runtime", oneOf("", "runc")), ("Isolation", oneOf("", "default")),
        ("VolumeDriver", oneOf("", "local")), ("CgroupParent", empty), ("OomScoreAdj", zero),
        ("MemorySwappiness", { zero($0) || $0 == .number(-1) }), ("KernelMemory", zero), ("KernelMemoryTCP", zero),
        ("Cgroup", empty), ("IOMaximumIOps", zero), ("IOMaximumBandwidth", zero), ("CpuCount", zero), ("CpuPercent", zero),
        ("StorageOpt", empty), ("Annotations", empty),
    ]

    /// The `HostConfig.X` names set in a create request's raw JSON that berth cannot apply.
    public static func find(in request: JSONValue) -> [String] {
        guard case .object(let top) = request, case .object(let hc)? = top["HostConfig"] else { return [] }
        return find(hostConfig: hc).map { "HostConfig." + $0 }
    }

    /// The same for an update request (the resources at the top level).
    public static func find(inUpdate request: JSONValue) -> [String] {
        guard case .object(let o) = request else { return [] }
        return find(hostConfig: o) + updateOnly.filter { k in o[k].map { !zero($0) && !empty($0) } ?? false }
    }

    /// Update keys berth has at create but does not change on a running container.
    static let updateOnly = ["OomKillDisable", "Ulimits", "ShmSize"]

    static func find(hostConfig hc: [String: JSONValue]) -> [String] {
        hostConfig.compactMap { option in
            guard let v = hc[option.key], !option.unset(v) else { return nil }
            return option.key
        }
    }

    static func empty(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        default: return false
        }
    }

    static func zero(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case .number(let n): return n == 0
        case .bool(let b): return !b
        default: return false
        }
    }

    static func oneOf(_ values: String...) -> @Sendable (JSONValue) -> Bool {
        { v in
            if case .string(let s) = v { return values.contains(s) }
            return v == .null
        }
    }
}

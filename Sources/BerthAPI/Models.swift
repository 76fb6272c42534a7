import BerthCore
import BerthStore
import Foundation

/// GET /images/json item (Docker's ImageSummary).
public struct ImageSummary: Codable, Sendable {
    public var Id: String
    public var ParentId: String
    public var RepoTags: [String]
    public var RepoDigests: [String]
    public var Created: Int64
    public var Size: Int64
    public var SharedSize: Int64
    public var VirtualSize: Int64
    public var Labels: [String: String]
    public var Containers: Int

    public init(_ l: ImageListing) {
        Id = l.id
        ParentId = ""
        RepoTags = l.tags.map { ImageName.familiar($0.repository) + ":" + $0.tag }
        RepoDigests = l.digests.map { d in
            let at = d.firstIndex(of: "@")!
            return ImageName.familiar(String(d[..<at])) + String(d[at...])
        }
        Created = l.created / 1_000_000_000
        Size = l.size
        SharedSize = -1
        VirtualSize = l.size
        Labels = l.labels
        Containers = l.containers
    }
}

/// GET /images/{name}/json (Docker's ImageInspect, the fields berth has).
public struct ImageInspect: Encodable, Sendable {
    public struct RootFSInfo: Codable, Sendable { public var `Type`: String; public var Layers: [String] }
    public struct GraphDriver: Codable, Sendable { public var Name: String; public var Data: [String: String] }
    public struct Metadata: Codable, Sendable { public var LastTagTime: String? }
    public var Id: String
    public var RepoTags: [String]
    public var RepoDigests: [String]
    public var Parent: String
    public var Comment: String
    public var Created: String
    public var DockerVersion: String
    public var Author: String
    public var Config: JSONValue?
    public var Architecture: String
    public var Variant: String?
    public var Os: String
    public var Size: Int64
    public var VirtualSize: Int64
    public var GraphDriver: GraphDriver
    public var RootFS: RootFSInfo
    public var Metadata: Metadata

    public init(_ d: ImageDetail, layerDir: (String) -> String) {
        let cfg = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(d.configJSON.utf8))) ?? [:]
        func str(_ k: String) -> String? { if case .string(let s)? = cfg[k] { return s }; return nil }
        let summary = ImageSummary(d.listing)
        Id = d.listing.id
        RepoTags = summary.RepoTags
        RepoDigests = summary.RepoDigests
        Parent = ""
        Comment = str("comment") ?? ""
        Created = Clock.rfc3339Nano(d.listing.created)
        DockerVersion = str("docker_version") ?? ""
        Author = str("author") ?? ""
        Config = cfg["config"]
        Architecture = d.architecture ?? ""
        Variant = str("variant")
        Os = d.os ?? ""
        Size = d.listing.size
        VirtualSize = d.listing.size
        let dirs = d.layers.map { layerDir($0.chainID) }
        var data: [String: String] = [:]
        if let top = dirs.last {
            data["UpperDir"] = top
            data["LowerDir"] = dirs.dropLast().reversed().joined(separator: ":")
            if data["LowerDir"] == "" { data["LowerDir"] = nil }
        }
        self.GraphDriver = .init(Name: "overlay", Data: data)
        var diffIDs: [String] = []
        if case .object(let rootfs)? = cfg["rootfs"], case .array(let ids)? = rootfs["diff_ids"] {
            diffIDs = ids.compactMap { if case .string(let s) = $0 { return s }; return nil }
        }
        RootFS = .init(Type: "layers", Layers: diffIDs)
        self.Metadata = .init(LastTagTime: d.lastTagTime.map { Clock.rfc3339Nano($0) })
    }
}

/// Arbitrary JSON carried through Codable unchanged.
public enum JSONValue: Codable, Sendable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded() && abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// GET /version.
public struct VersionInfo: Codable, Sendable {
    public struct Component: Codable, Sendable { public var Name: String; public var Version: String }
    public struct PlatformInfo: Codable, Sendable { public var Name: String }
    public var Platform: PlatformInfo
    public var Components: [Component]
    public var Version: String
    public var ApiVersion: String
    public var MinAPIVersion: String
    public var GitCommit: String
    public var GoVersion: String
    public var Os: String
    public var Arch: String
    public var KernelVersion: String
    public var BuildTime: String
}

/// GET /info (the fields berth fills).
public struct SystemInfo: Codable, Sendable {
    public var ID: String
    public var Containers: Int
    public var ContainersRunning: Int
    public var ContainersPaused: Int
    public var ContainersStopped: Int
    public var Images: Int
    public var Driver: String
    public var DockerRootDir: String
    public var LoggingDriver: String
    public var CgroupDriver: String
    public var CgroupVersion: String
    public var KernelVersion: String
    public var OperatingSystem: String
    public var OSType: String
    public var Architecture: String
    public var NCPU: Int
    public var MemTotal: Int64
    public var Name: String
    public var ServerVersion: String
    public var DefaultRuntime: String
    public var SystemTime: String
    public var Debug: Bool
    public var Warnings: [String]
}

extension SystemInfo {
    /// /info for this host, from the counts berthd keeps.
    public static func current(daemonID: String, containerStates counts: [String: Int], images: Int,
                               root: String) -> SystemInfo {
        let total = counts.values.reduce(0, +)
        let running = (counts["running"] ?? 0) + (counts["restarting"] ?? 0)
        let paused = counts["paused"] ?? 0
        return SystemInfo(ID: daemonID, Containers: total, ContainersRunning: running, ContainersPaused: paused,
                          ContainersStopped: total - running - paused, Images: images, Driver: "overlay",
                          DockerRootDir: root, LoggingDriver: "k8s-file", CgroupDriver: "cgroupfs",
                          CgroupVersion: SystemFacts.cgroupVersion, KernelVersion: SystemFacts.kernelVersion,
                          OperatingSystem: SystemFacts.operatingSystem, OSType: "linux",
                          Architecture: SystemFacts.machine, NCPU: ProcessInfo.processInfo.activeProcessorCount,
                          MemTotal: Int64(ProcessInfo.processInfo.physicalMemory), Name: ProcessInfo.processInfo.hostName,
                          ServerVersion: APIVersion.serverVersion, DefaultRuntime: "runc",
                          SystemTime: Clock.rfc3339Nano(Clock.nowNanos()), Debug: false, Warnings: [])
    }
}

import BerthCore
import Foundation

/// Docker's POST /containers/create body (the fields berth honours; the rest are kept as sent).
public struct ContainerCreateRequest: Codable, Sendable {
    public var Hostname: String?
    /// Deprecated in API 1.44 for `EndpointsConfig[net].MacAddress`; still sent by older clients.
    public var MacAddress: String?
    public var Domainname: String?
    public var User: String?
    public var AttachStdin: Bool?
    public var AttachStdout: Bool?
    public var AttachStderr: Bool?
    public var Tty: Bool?
    public var OpenStdin: Bool?
    public var StdinOnce: Bool?
    public var Env: [String]?
    public var Cmd: StringOrArray?
    public var Entrypoint: StringOrArray?
    public var Image: String?
    public var Labels: [String: String]?
    public var WorkingDir: String?
    public var StopSignal: String?
    public var StopTimeout: Int?
    public var ExposedPorts: [String: EmptyObject]?
    public var Volumes: [String: EmptyObject]?
    /// Docker's health check: Test `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`; times in ns.
    public var Healthcheck: HealthConfig?
    public var HostConfig: HostConfig?
    /// Per-network settings (aliases, a fixed address), keyed by network name.
    public var NetworkingConfig: NetworkingConfig?

    public init() {}
}

/// Docker accepts `"Cmd": "sh"` as well as `["sh"]`.
public struct StringOrArray: Codable, Sendable, Equatable {
    public var values: [String]
    public init(_ v: [String]) { values = v }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { values = [s] } else { values = try c.decode([String].self) }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }
}

public struct HostConfig: Codable, Sendable {
    public struct RestartPolicy: Codable, Sendable {
        public var Name: String?
        public var MaximumRetryCount: Int?
        public init(Name: String?, MaximumRetryCount: Int?) { self.Name = Name; self.MaximumRetryCount = MaximumRetryCount }
    }
    public struct Mount: Codable, Sendable {
        public var `Type`: String?
        public var Source: String?
        public var Target: String?
        public var ReadOnly: Bool?
        public var BindOptions: BindOptions?
        public var VolumeOptions: VolumeOptions?
        public init(Type: String?, Source: String?, Target: String?, ReadOnly: Bool?) {
            self.Type = Type; self.Source = Source; self.Target = Target; self.ReadOnly = ReadOnly
        }

        public struct BindOptions: Codable, Sendable {
            /// The propagation modes a bind may have (runc's names).
            public static let propagations: Set<String> = ["private", "rprivate", "shared", "rshared", "slave", "rslave"]
            public var Propagation: String?
            /// API 1.42: a missing source folder is made (as `-v /path:/ctr` makes it) instead of refused.
            public var CreateMountpoint: Bool?
            public init(Propagation: String? = nil, CreateMountpoint: Bool? = nil) {
                self.Propagation = Propagation
                self.CreateMountpoint = CreateMountpoint
            }
        }

        public struct VolumeOptions: Codable, Sendable {
            /// `volume-nocopy`: the new volume is not filled from the image.
            public var NoCopy: Bool?
            public var Labels: [String: String]?
            public var DriverConfig: DriverConfig?
            public init(NoCopy: Bool? = nil) { self.NoCopy = NoCopy }
        }

        public struct DriverConfig: Codable, Sendable {
            public var Name: String?
            public var Options: [String: String]?
            public init(Name: String?, Options: [String: String]?) { self.Name = Name; self.Options = Options }
        }
    }
    public var Binds: [String]?
    public var AutoRemove: Bool?
    public var RestartPolicy: RestartPolicy?
    public var Privileged: Bool?
    public var CapAdd: [String]?
    public var CapDrop: [String]?
    public var Memory: Int64?
    public var NanoCpus: Int64?
    public var PidsLimit: Int64?
    public var ReadonlyRootfs: Bool?
    public var Tmpfs: [String: String]?
    public var NetworkMode: String?
    /// `--link name:alias` (legacy links on the default bridge).
    public var Links: [String]?
    /// `--add-host host:ip` (`host-gateway` for the network's gateway).
    public var ExtraHosts: [String]?
    public var Dns: [String]?
    public var DnsSearch: [String]?
    public var DnsOptions: [String]?
    public var Init: Bool?
    public var Mounts: [Mount]?
    public var LogConfig: LogConfig?
    /// `-p`: container port (`80/tcp`) to host bindings; HostPort may be empty (any free port)
    /// or a range to pick one from (`8080-8090`).
    public var PortBindings: [String: [PortBinding]?]?
    /// `-P`: every exposed port on a free host port.
    public var PublishAllPorts: Bool?
    /// `--shm-size` in bytes (0: Docker's 64 MB).
    public var ShmSize: Int64?
    /// `--group-add`: names (from the image's /etc/group) or numbers.
    public var GroupAdd: [String]?
    /// `--sysctl` (namespaced ones only, as Docker).
    public var Sysctls: [String: String]?
    /// `--ulimit nofile=1024:2048`.
    public var Ulimits: [Ulimit]?
    /// `--security-opt`: no-new-privileges, seccomp=unconfined|PROFILE JSON, label=disable, apparmor=unconfined.
    public var SecurityOpt: [String]?
    /// `--pid`, `--ipc`, `--uts`: `host`, or (pid, ipc) `container:NAME`.
    public var PidMode: String?
    public var IpcMode: String?
    public var UTSMode: String?
    public var CpuShares: Int64?
    public var CpusetCpus: String?
    public var MemorySwap: Int64?
    public var MemoryReservation: Int64?
    public var OomKillDisable: Bool?
    /// `local` only (anything else is refused: UnsupportedOptions).
    public var VolumeDriver: String?
    /// `--volumes-from CONTAINER[:ro|rw]`: its volumes and binds, at the same places.
    public var VolumesFrom: [String]?
    /// `--cgroupns host|private`.
    public var CgroupnsMode: String?
    /// `--device /dev/x[:/dev/y[:rwm]]`.
    public var Devices: [DeviceMapping]?
    /// `--device-cgroup-rule`: `c 1:3 mr`, `b *:* rwm`.
    public var DeviceCgroupRules: [String]?

    public struct DeviceMapping: Codable, Sendable, Equatable {
        public var PathOnHost: String
        public var PathInContainer: String?
        public var CgroupPermissions: String?
        public init(PathOnHost: String, PathInContainer: String?, CgroupPermissions: String?) {
            self.PathOnHost = PathOnHost; self.PathInContainer = PathInContainer; self.CgroupPermissions = CgroupPermissions
        }
    }

    public struct Ulimit: Codable, Sendable, Equatable {
        public var Name: String
        public var Soft: Int64
        public var Hard: Int64
        public init(Name: String, Soft: Int64, Hard: Int64) { self.Name = Name; self.Soft = Soft; self.Hard = Hard }
    }

    /// Docker's `--log-driver` and `--log-opt`.
    public struct LogConfig: Codable, Sendable {
        public var `Type`: String?
        public var Config: [String: String]?
        public init(Type: String?, Config: [String: String]?) { self.Type = Type; self.Config = Config }
    }

    public init() {}
}

/// One host binding of a container port (Docker's `nat.PortBinding`).
public struct PortBinding: Codable, Sendable, Equatable {
    public var HostIp: String?
    public var HostPort: String?
    public init(HostIp: String?, HostPort: String?) { self.HostIp = HostIp; self.HostPort = HostPort }
}

/// Create's `NetworkingConfig`.
public struct NetworkingConfig: Codable, Sendable {
    public struct EndpointConfig: Codable, Sendable {
        public struct IPAMConfig: Codable, Sendable {
            public var IPv4Address: String?
            public init(IPv4Address: String?) { self.IPv4Address = IPv4Address }
        }
        public var Aliases: [String]?
        public var IPAMConfig: IPAMConfig?
        /// API 1.44+ (the docker CLI's `--mac-address`); older clients use `Config.MacAddress`.
        public var MacAddress: String?
        public init(Aliases: [String]?, IPAMConfig: IPAMConfig? = nil, MacAddress: String? = nil) {
            self.Aliases = Aliases; self.IPAMConfig = IPAMConfig; self.MacAddress = MacAddress
        }
    }
    public var EndpointsConfig: [String: EndpointConfig]?
    public init(EndpointsConfig: [String: EndpointConfig]?) { self.EndpointsConfig = EndpointsConfig }
}

import Foundation

/// The OCI runtime spec (config.json), the parts berth writes. Field names follow the spec.
public struct RuntimeSpec: Codable, Sendable {
    public var ociVersion = "1.0.2"
    public var process: Process
    public var root: Root
    public var hostname: String?
    public var mounts: [Mount]
    public var linux: Linux

    public struct Process: Codable, Sendable {
        public var terminal: Bool
        public var user: User
        public var args: [String]
        public var env: [String]
        public var cwd: String
        public var capabilities: Capabilities?
        public var rlimits: [Rlimit]?
        public var noNewPrivileges: Bool?
        public var oomScoreAdj: Int?
    }

    public struct User: Codable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]?
        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32]?) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
        }
    }

    public struct Capabilities: Codable, Sendable {
        public var bounding: [String]
        public var effective: [String]
        public var permitted: [String]
        public var inheritable: [String]?
        public var ambient: [String]?
        public init(bounding: [String], effective: [String], permitted: [String], inheritable: [String]?, ambient: [String]?) {
            self.bounding = bounding
            self.effective = effective
            self.permitted = permitted
            self.inheritable = inheritable
            self.ambient = ambient
        }
    }

    public struct Rlimit: Codable, Sendable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) { self.type = type; self.hard = hard; self.soft = soft }
    }

    public struct Root: Codable, Sendable {
        public var path: String
        public var readonly: Bool?
    }

    public struct Mount: Codable, Sendable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?
        public init(destination: String, type: String?, source: String?, options: [String]?) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    public struct Linux: Codable, Sendable {
        public var namespaces: [Namespace]
        public var resources: Resources?
        public var cgroupsPath: String?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var seccomp: Seccomp?
        public var devices: [Device]?
        public var sysctl: [String: String]?
    }

    public struct Namespace: Codable, Sendable {
        public var type: String
        public var path: String?
    }

    public struct Device: Codable, Sendable {
        public var path: String
        public var type: String
        public var major: Int64
        public var minor: Int64
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32?, uid: UInt32?, gid: UInt32?) {
            self.path = path; self.type = type; self.major = major; self.minor = minor; self.fileMode = fileMode
            self.uid = uid; self.gid = gid
        }
    }

    public struct Resources: Codable, Sendable {
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var devices: [DeviceRule]?
    }

    public struct Memory: Codable, Sendable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public var disableOOMKiller: Bool?
    }
    public struct CPU: Codable, Sendable {
        public var shares: UInt64?
        public var quota: Int64?
        public var period: UInt64?
        public var cpus: String?
    }
    public struct Pids: Codable, Sendable { public var limit: Int64 }
    public struct DeviceRule: Codable, Sendable {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?
        public init(allow: Bool, type: String?, major: Int64?, minor: Int64?, access: String?) {
            self.allow = allow; self.type = type; self.major = major; self.minor = minor; self.access = access
        }
    }

    public struct Seccomp: Codable, Sendable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String]?
        public var syscalls: [Syscall]?
    }

    public struct Syscall: Codable, Sendable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [SyscallArg]?
    }

    public struct SyscallArg: Codable, Sendable {
        public var index: UInt
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String
    }
}

import BerthAPI
import BerthCore
import Foundation

extension CreateOptions {
    /// --shm-size, --group-add, --sysctl, --ulimit, --security-opt, --pid/--ipc/--uts, CPU and
    /// memory tuning: into the HostConfig berthd checks and applies.
    func applyIsolation(to host: inout HostConfig) throws {
        host.ShmSize = try shmSize.map(Self.parseBytes)
        host.GroupAdd = groupAdd.isEmpty ? nil : groupAdd
        if !sysctl.isEmpty {
            var m: [String: String] = [:]
            for s in sysctl {
                let kv = KeyValue.parse(s)
                guard let v = kv.value, !kv.key.isEmpty else { throw CLIError(message: "invalid argument \"\(s)\" for \"--sysctl\" flag", code: 125) }
                m[kv.key] = v
            }
            host.Sysctls = m
        }
        host.Ulimits = try ulimit.isEmpty ? nil : ulimit.map(Self.parseUlimit)
        if !securityOpt.isEmpty {
            // As the docker CLI: seccomp=FILE sends the profile's content.
            host.SecurityOpt = try securityOpt.map { o in
                guard o.hasPrefix("seccomp="), !o.hasSuffix("=unconfined") else { return o }
                let path = String(o.dropFirst("seccomp=".count))
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CLIError(message: "opening seccomp profile (\(path)) failed: no such file", code: 125)
                }
                return "seccomp=" + String(decoding: data, as: UTF8.self)
            }
        }
        host.PidMode = pid
        host.IpcMode = ipc
        host.UTSMode = uts
        host.CpuShares = cpuShares
        host.CpusetCpus = cpusetCpus
        if let s = memorySwap { host.MemorySwap = s == "-1" ? -1 : try Self.parseBytes(s) }
        host.MemoryReservation = try memoryReservation.map(Self.parseBytes)
        if oomKillDisable { host.OomKillDisable = true }
        host.VolumeDriver = volumeDriver
        host.VolumesFrom = volumesFrom.isEmpty ? nil : volumesFrom
        host.CgroupnsMode = cgroupns
        if !deviceCgroupRule.isEmpty { host.DeviceCgroupRules = deviceCgroupRule }
        if !device.isEmpty {
            host.Devices = device.map { d in
                let p = d.split(separator: ":", maxSplits: 2).map(String.init)
                return HostConfig.DeviceMapping(PathOnHost: p[0], PathInContainer: p.count > 1 ? p[1] : nil, CgroupPermissions: p.count > 2 ? p[2] : nil)
            }
        }
    }

    /// `nofile=1024:2048` or `nofile=1024`.
    static func parseUlimit(_ s: String) throws -> HostConfig.Ulimit {
        let kv = KeyValue.parse(s)
        let parts = (kv.value ?? "").split(separator: ":", omittingEmptySubsequences: false).map { Int64($0) }
        guard !kv.key.isEmpty, (1...2).contains(parts.count), let soft = parts[0], let hard = parts.last! else {
            throw CLIError(message: "invalid argument \"\(s)\" for \"--ulimit\" flag: invalid ulimit argument", code: 125)
        }
        return HostConfig.Ulimit(Name: kv.key, Soft: soft, Hard: hard)
    }
}

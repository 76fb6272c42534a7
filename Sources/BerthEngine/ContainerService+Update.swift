import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// `berth update -m/--cpus/…`: checked as create checks them, applied to a running container
    /// through `runc update` (its cgroup changes at once), and kept in its HostConfig, so inspect
    /// shows them and the next start uses them.
    public func updateResources(_ ref: String, _ u: ContainerUpdateRequest) async throws {
        try await onContainer(ref) { [self] in
            let c = try get(ref)
            var host = try JSONDecoder().decode(HostConfig.self, from: Data(c.hostConfigJSON.utf8))
            if let v = u.Memory { host.Memory = v }
            if let v = u.MemorySwap { host.MemorySwap = v }
            if let v = u.MemoryReservation { host.MemoryReservation = v }
            if let v = u.NanoCpus { host.NanoCpus = v }
            if let v = u.CpuShares { host.CpuShares = v }
            if let v = u.CpusetCpus { host.CpusetCpus = v }
            if let v = u.PidsLimit { host.PidsLimit = v }
            var req = ContainerCreateRequest()
            req.HostConfig = host
            try Self.validate(req, host: host)
            if (host.Memory ?? 0) > 0, u.Memory != nil, u.MemorySwap == nil, (host.MemorySwap ?? 0) > 0, host.MemorySwap! < host.Memory! {
                throw BerthError.invalid("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
            }
            if c.isRunning {
                try runc.update(c.id, Self.runcUpdateFlags(u, host: host))
            }
            let json = String(decoding: try JSONEncoder().encode(host), as: UTF8.self)
            try store.write { db in
                try ContainerStore.updateHostConfig(db, id: c.id, hostConfigJSON: json)
                try event(db, c, "update")
            }
            writeSnapshot(c.id)
        }
    }

    /// The `runc update` flags for what the request changes (with the swap limit alongside the
    /// memory limit, which cgroup v1 orders).
    static func runcUpdateFlags(_ u: ContainerUpdateRequest, host: HostConfig) -> [String] {
        var f: [String] = []
        if u.Memory != nil || u.MemorySwap != nil {
            let m = host.Memory ?? 0
            f += ["--memory", String(m > 0 ? m : -1)]
            if let s = host.MemorySwap, s != 0 { f += ["--memory-swap", String(s)] } else if m > 0 { f += ["--memory-swap", String(m * 2)] }
        }
        if let r = u.MemoryReservation { f += ["--memory-reservation", String(r > 0 ? r : -1)] }
        if let n = u.NanoCpus {
            f += n > 0 ? ["--cpu-period", "100000", "--cpu-quota", String(max(1000, n / 10_000))] : ["--cpu-quota", "-1"]
        }
        if let s = u.CpuShares, s > 0 { f += ["--cpu-share", String(s)] }
        if let c = u.CpusetCpus, !c.isEmpty { f += ["--cpuset-cpus", c] }
        if let p = u.PidsLimit { f += ["--pids-limit", String(p > 0 ? p : -1)] }
        return f
    }
}

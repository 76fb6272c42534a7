import BerthCore
import BerthNetwork
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// The container's rows kept in its folder for `--rebuild-db` (after create and rename).
    func writeSnapshot(_ id: String) {
        do {
            guard let data = try store.read({ db in try RowSnapshots.container(db, id: id) }) else { return }
            try FileOps.writeAtomically(data, to: files(id).dir + "/create.json", mode: 0o600, durable: false)
        } catch {
            logger.warning("container \(id.prefix(12)): snapshot not written: \(error)")
        }
    }

    /// Puts back the rows of every container folder that has a snapshot, as running when its
    /// conmon still runs (recovery then re-adopts it), exited when it ran, else created; and
    /// the volumes under the root. Returns (containers, volumes) restored.
    func rebuildFromSnapshots() throws -> (containers: Int, volumes: Int) {
        let networks = try rebuildNetworks()
        if networks > 0 { logger.notice("rebuild: \(networks) networks restored") }
        var containers = 0
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: paths.containers)) ?? []).sorted()
        where name.count == 64 && Identifier.isHex(name) {
            guard let data = FileManager.default.contents(atPath: files(name).dir + "/create.json") else {
                logger.warning("rebuild: container folder \(name.prefix(12)) has no snapshot; left as it is")
                continue
            }
            let restored = try store.write { db in try RowSnapshots.restore(db, data) { id in liveState(id) } }
            if restored != nil { containers += 1 } else { logger.warning("rebuild: container \(name.prefix(12)): its image is not restored") }
        }
        var volumes = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: paths.volumes)) ?? [] {
            let dir = paths.volumes + "/" + name + "/_data"
            guard FileOps.exists(dir) else { continue }
            let created = FileOps.modificationTime(dir) ?? Clock.nowNanos()
            try store.write { db in try RowSnapshots.restoreVolume(db, name: name, mountpoint: dir, createdAt: created) }
            volumes += 1
        }
        return (containers, volumes)
    }

    /// What the files say of a container's run.
    func liveState(_ id: String) -> RowSnapshots.LiveState {
        if let text = try? String(contentsOfFile: runDir(id) + "/conmon.pid", encoding: .utf8),
            let conmon = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            (try? String(contentsOfFile: "/proc/\(conmon)/comm", encoding: .utf8))?.hasPrefix("conmon") == true,
            !FileOps.exists(exitDir + "/" + id)
        {
            let pid = (try? String(contentsOfFile: runDir(id) + "/pidfile", encoding: .utf8)).flatMap {
                Int64($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            // What its network holds, from the input netavark was given at its start.
            let options = FileManager.default.contents(atPath: netnsOptionsPath(id)).flatMap {
                try? JSONDecoder().decode(NetavarkOptions.self, from: $0)
            }
            var ports: [String: Int] = [:]
            for m in options?.port_mappings ?? [] { ports["\(m.container_port)/\(m.protocol)/\(m.host_ip)"] = Int(m.host_port) }
            return .init(
                state: "running", pid: pid, conmonPid: Int64(conmon), conmonStartTime: ProcStat.startTime(conmon),
                bootID: bootID, addresses: (options?.networks ?? [:]).mapValues(\.static_ips), hostPorts: ports)
        }
        if let code = (try? String(contentsOfFile: files(id).persist + "/exit", encoding: .utf8)).flatMap({
            Int64($0.trimmingCharacters(in: .whitespacesAndNewlines))
        })
            ?? ExitWatcher.read(dir: exitDir, id: id).map({ Int64($0.code) })
        {
            return .init(state: "exited", exitCode: code)
        }
        return .init(state: FileOps.size(files(id).log) > 0 ? "exited" : "created")
    }
}

import BerthCore
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
            return .init(
                state: "running", pid: pid, conmonPid: Int64(conmon), conmonStartTime: ProcStat.startTime(conmon),
                bootID: bootID)
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

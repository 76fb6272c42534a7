import BerthAPI
import BerthCore
import BerthRuntime
import Foundation

extension ContainerService {
    /// `berth top`: the host's `ps` (default `-ef`), narrowed to the container's processes, as
    /// Docker does it.
    public func top(_ ref: String, psArgs: String?) async throws -> TopResult {
        let c = try get(ref)
        guard c.isRunning else { throw BerthError.conflict("Container \(c.id) is not running") }
        let runc = self.runc
        return try await offload {
            // runc lists a cgroup's processes; with none (rootless on v1), the init's pid namespace's.
            let pids = RootlessHost.cgroups || c.pid == nil
                ? Set(try runc.pids(c.id)) : Set(ProcStat.pidsSharingNamespace(of: Int32(truncatingIfNeeded: c.pid!)))
            let args = (psArgs?.isEmpty ?? true) ? ["-ef"] : psArgs!.split(separator: " ").map(String.init)
            let r = try Spawn.run("/bin/ps", args)
            guard r.status == 0 else {
                throw BerthError.internal("ps: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return try Self.parsePS(r.stdout, pids: pids)
        }
    }

    /// Splits `ps` output into columns (the last one keeps its spaces) and keeps the rows whose
    /// PID is one of `pids`.
    public static func parsePS(_ output: String, pids: Set<Int32>) throws -> TopResult {
        let lines = output.split(separator: "\n")
        guard let header = lines.first else { return TopResult(Titles: [], Processes: []) }
        let titles = header.split(separator: " ").map(String.init)
        guard let pidColumn = titles.firstIndex(of: "PID") else {
            throw BerthError.invalid("Couldn't find PID field in ps output")
        }
        var rows: [[String]] = []
        for line in lines.dropFirst() {
            var fields = line.split(separator: " ", maxSplits: titles.count - 1).map(String.init)
            guard fields.count > pidColumn, let pid = Int32(fields[pidColumn]), pids.contains(pid) else { continue }
            if fields.count == titles.count, let last = fields.last {
                fields[fields.count - 1] = last.trimmingCharacters(in: .whitespaces)
            }
            rows.append(fields)
        }
        return TopResult(Titles: titles, Processes: rows)
    }
}

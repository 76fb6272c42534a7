import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth system df`: disk use by images, containers, volumes and the build cache, read from
/// the store (and the writable layers and volumes on disk), as Docker's.
struct SystemDF: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show docker disk usage.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Show detailed information on space usage.") var verbose = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?

    func run() throws {
        let containers = global.paths.containers
        let du = try global.store().read { db in
            try SystemQueries.diskUsage(db, upperDir: { containers + "/" + $0 + "/upper" }, dirSize: FileOps.treeSize)
        }
        if verbose {
            Out.write(Self.verbose(du))
            return
        }
        Out.write(try Self.output.render(Self.summary(du), format: format))
    }

    static func percent(_ part: Int64, _ total: Int64) -> String {
        total > 0 ? "\(Human.size(part)) (\(part * 100 / total)%)" : Human.size(part)
    }

    static func summary(_ du: SystemDataUsage) -> [TemplateRow] {
        let active: Set<String> = ["running", "paused", "restarting"]
        var used: Int64 = 0
        for i in du.Images where i.Containers > 0 { used += i.Size - i.SharedSize }
        let rw = du.Containers.reduce(Int64(0)) { $0 + ($1.SizeRw ?? 0) }
        let rwFree = du.Containers.filter { !active.contains($0.State) }.reduce(Int64(0)) { $0 + ($1.SizeRw ?? 0) }
        let vol = du.Volumes.reduce(Int64(0)) { $0 + ($1.UsageData?.Size ?? 0) }
        let volFree = du.Volumes.filter { ($0.UsageData?.RefCount ?? 0) == 0 }.reduce(Int64(0)) { $0 + ($1.UsageData?.Size ?? 0) }
        let cache = du.BuildCache.reduce(Int64(0)) { $0 + $1.Size }
        let cacheFree = du.BuildCache.filter { !$0.InUse }.reduce(Int64(0)) { $0 + $1.Size }
        let lines: [(String, Int, Int, Int64, String)] = [
            ("Images", du.Images.count, du.Images.filter { $0.Containers > 0 }.count, du.LayersSize, percent(du.LayersSize - used, du.LayersSize)),
            ("Containers", du.Containers.count, du.Containers.filter { active.contains($0.State) }.count, rw, percent(rwFree, rw)),
            ("Local Volumes", du.Volumes.count, du.Volumes.filter { ($0.UsageData?.RefCount ?? 0) > 0 }.count, vol, percent(volFree, vol)),
            ("Build Cache", du.BuildCache.count, du.BuildCache.filter(\.InUse).count, cache, Human.size(cacheFree)),
        ]
        return lines.map { l in
            let fields = ["Type": l.0, "TotalCount": String(l.1), "Active": String(l.2), "Size": Human.size(l.3), "Reclaimable": l.4]
            return TemplateRow(fields: fields, labels: [:], json: String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self))
        }
    }

    static let output = ListFormat(
        defaultTable: "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        headers: ["Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"])

    /// `-v`: one table per kind, as Docker's.
    static func verbose(_ du: SystemDataUsage) -> String {
        let now = Clock.nowNanos()
        func ago(_ seconds: Int64) -> String { Human.duration(nanos: now - seconds * 1_000_000_000) + " ago" }
        var out = "Images space usage:\n\n"
        var rows = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"]]
        for i in du.Images {
            let tag = i.RepoTags.first ?? "<none>:<none>"
            let colon = tag.lastIndex(of: ":") ?? tag.endIndex
            rows.append([
                String(tag[..<colon]), colon < tag.endIndex ? String(tag[tag.index(after: colon)...]) : "<none>",
                Identifier.short(i.Id), ago(i.Created), Human.size(i.Size), Human.size(i.SharedSize),
                Human.size(i.Size - i.SharedSize), String(i.Containers),
            ])
        }
        out += TabWriter.format(rows: rows) + "\nContainers space usage:\n\n"
        rows = [["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"]]
        for c in du.Containers {
            let cmd = c.Command.count > 20 ? String(c.Command.prefix(19)) + "…" : c.Command
            let vols = (c.Mounts ?? []).filter { $0.Type == "volume" }.count
            rows.append([
                String(c.Id.prefix(12)), c.Image, "\"\(cmd)\"", String(vols), Human.size(c.SizeRw ?? 0), ago(c.Created), c.Status,
                c.Names.map { String($0.dropFirst()) }.joined(separator: ","),
            ])
        }
        out += TabWriter.format(rows: rows) + "\nLocal Volumes space usage:\n\n"
        rows = [["VOLUME NAME", "LINKS", "SIZE"]]
        for v in du.Volumes { rows.append([v.Name, String(v.UsageData?.RefCount ?? 0), Human.size(v.UsageData?.Size ?? 0)]) }
        out += TabWriter.format(rows: rows)
        out += "\nBuild cache usage: \(Human.size(du.BuildCache.reduce(0) { $0 + $1.Size }))\n\n"
        rows = [["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"]]
        for b in du.BuildCache {
            let created = Clock.parseRFC3339(b.CreatedAt).map { Human.duration(nanos: now - $0) + " ago" } ?? ""
            rows.append([Identifier.short(b.ID), b.Type, Human.size(b.Size), created, "", String(b.UsageCount), String(b.Shared)])
        }
        out += TabWriter.format(rows: rows)
        return out
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth stats`: Docker's live table of CPU, memory, network, block I/O and pids.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Display a live stream of container(s) resource usage statistics.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).") var all = false
    @Flag(name: .customLong("no-stream"), help: "Disable streaming stats and only pull the first result.") var noStream = false
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate output.") var noTrunc = false
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []

    func run() async throws {
        let client = try global.client()
        var previous: [String: ContainerStats] = [:]
        while true {
            let ids = try targets()
            // stream=false gives two samples a second apart (CPU % needs both); afterwards this
            // loop keeps the last sample itself and asks for one each round.
            let once = previous.isEmpty
            let samples = try await withThrowingTaskGroup(of: (String, ContainerStats?).self) { group in
                for id in ids {
                    group.addTask {
                        let q = once ? [("stream", "0")] : [("stream", "0"), ("one-shot", "1")]
                        let r = try? await client.send(.GET, client.path("/containers", id, "/stats"), query: q)
                        return (id, r.flatMap { try? JSONDecoder().decode(ContainerStats.self, from: $0.body) })
                    }
                }
                var out: [String: ContainerStats] = [:]
                for try await (id, s) in group { if let s { out[id] = s } }
                return out
            }
            var rows: [TemplateRow] = []
            for id in ids {
                guard var s = samples[id] else { continue }
                if let p = previous[id] {
                    s.precpu_stats = p.cpu_stats
                }
                previous[id] = s
                rows.append(Self.row(s, noTrunc: noTrunc))
            }
            let text = try Self.output.render(rows, format: format)
            if noStream {
                Out.write(text)
                return
            }
            // Docker redraws the whole screen each second.
            Out.write("\u{1b}[2J\u{1b}[H" + text)
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    /// The containers to show: those named (an unknown one is an error), else running ones (all with -a).
    func targets() throws -> [String] {
        let store = try global.store()
        if !containers.isEmpty {
            return try store.read { db in
                try containers.map { ref -> String in
                    do { return try ContainerQueries.resolve(db, ref).id } catch {
                        throw CLIError(message: "Error response from daemon: No such container: \(ref)")
                    }
                }
            }
        }
        return try store.read { db in try ContainerListQuery(all: all, filters: [:], last: nil).run(db) { [$0] }.map(\.id) }
    }

    static func row(_ s: ContainerStats, noTrunc: Bool) -> TemplateRow {
        let used = Double(s.memoryUsed)
        let limit = Double(s.memory_stats.limit ?? 0)
        let running = s.pids_stats.current != nil
        var rx = 0.0, tx = 0.0
        for n in (s.networks ?? [:]).values { rx += Double(n.rx_bytes); tx += Double(n.tx_bytes) }
        var rd = 0.0, wr = 0.0
        for e in s.blkio_stats.io_service_bytes_recursive ?? [] {
            if e.op.lowercased() == "read" { rd += Double(e.value) }
            if e.op.lowercased() == "write" { wr += Double(e.value) }
        }
        func dec(_ v: Double) -> String { Human.size(Int64(v), precision: 3) }
        let fields = [
            "ID": noTrunc ? s.id : String(s.id.prefix(12)), "Container": noTrunc ? s.id : String(s.id.prefix(12)),
            "Name": String(s.name.drop { $0 == "/" }),
            "CPUPerc": running ? String(format: "%.2f%%", s.cpuPercent) : "--",
            "MemUsage": running ? Human.bytesSize(used) + " / " + Human.bytesSize(limit) : "-- / --",
            "MemPerc": running && limit > 0 ? String(format: "%.2f%%", used / limit * 100) : "--",
            "NetIO": running ? dec(rx) + " / " + dec(tx) : "--",
            "BlockIO": running ? dec(rd) + " / " + dec(wr) : "--",
            "PIDs": running ? String(s.pids_stats.current ?? 0) : "--",
        ]
        return TemplateRow(fields: fields, labels: [:], json: String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self))
    }

    static let output = ListFormat(
        defaultTable: "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
        headers: [
            "ID": "CONTAINER ID", "Container": "CONTAINER", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
            "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
        ])
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth container history`: one row per run, also for removed containers.
struct ContainerHistory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the runs of a container: when, how long, how it ended.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Format output: table, json, or a Go template.") var format: String?
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Summarize runs per container (all containers without CONTAINER), worst offender first.",
            discussion: "A crash loop is 3 or more runs ending with a non-zero exit code within 10 minutes. Restarts count the runs a restart policy began."))
    var summary = false
    @Argument(help: "CONTAINER (name or id; removed containers too)") var container: String?

    func validate() throws {
        if container == nil && !summary {
            throw ValidationError("\"berth container history\" requires a CONTAINER (or --summary)")
        }
    }

    func run() throws {
        let store = try global.store()
        if summary { return try showSummary(store) }
        guard let container else { return }
        let runs = try store.read { db in try RunRecord.history(db, container) }
        guard !runs.isEmpty else { throw CLIError(message: "Error: No such container: \(container)") }
        let now = Clock.nowNanos()
        let rows = runs.enumerated().map { i, r -> TemplateRow in
            let ranFor = Human.duration(nanos: (r.finishedAt ?? now) - r.startedAt)
            let ended: String
            if r.finishedAt == nil { ended = "running" } else { ended = r.endReason ?? "exited" }
            let fields = [
                "Run": String(i + 1), "ID": noTrunc ? r.containerID : String(r.containerID.prefix(12)),
                "Name": r.containerName, "Image": r.image,
                "StartedAt": Clock.rfc3339Seconds(r.startedAt),
                "FinishedAt": r.finishedAt.map(Clock.rfc3339Seconds) ?? "",
                "ExitCode": r.exitCode.map(String.init) ?? "", "RanFor": ranFor, "EndedBy": ended,
                "Addresses": r.addresses ?? "", "Ports": r.ports ?? "",
                "OOMKilled": r.oomKilled ? "true" : "false",
            ]
            let json = String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self)
            return TemplateRow(fields: fields, json: json)
        }
        Out.write(try Self.output.render(rows, format: format))
    }

    static let output = ListFormat(
        defaultTable: "table {{.Run}}\t{{.StartedAt}}\t{{.FinishedAt}}\t{{.ExitCode}}\t{{.RanFor}}\t{{.EndedBy}}",
        headers: [
            "Run": "RUN", "ID": "CONTAINER ID", "Name": "NAME", "Image": "IMAGE", "StartedAt": "STARTED",
            "FinishedAt": "FINISHED", "ExitCode": "EXIT CODE", "RanFor": "RAN FOR", "EndedBy": "ENDED BY",
            "OOMKilled": "OOM", "Addresses": "ADDRESSES", "Ports": "PORTS",
        ])
}

extension ContainerHistory {
    /// `--summary`: restart storms and crash loops, worst first.
    func showSummary(_ store: Store) throws {
        let now = Clock.nowNanos()
        let summaries = try store.read { db -> [RunSummary] in
            if let container {
                guard let id = try RunRecord.historyID(db, container) else {
                    throw CLIError(message: "Error: No such container: \(container)")
                }
                return try RunSummary.all(db, ids: [id], now: now)
            }
            return try RunSummary.all(db, now: now)
        }
        let rows = summaries.map { s -> TemplateRow in
            let exits = s.exitCodes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            let reasons = s.endReasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key)×\($0.value)" }
                .joined(separator: " ")
            let fields = [
                "ID": noTrunc ? s.containerID : String(s.containerID.prefix(12)), "Name": s.name, "State": s.state,
                "Runs": String(s.runs), "RestartsLastHour": String(s.restartsLastHour), "RestartsLastDay": String(s.restartsLastDay),
                "Longest": Human.duration(nanos: s.longest), "Shortest": Human.duration(nanos: s.shortest),
                "Exits": exits, "EndedBy": reasons,
                "LastOOM": s.lastOOM.map { Human.duration(nanos: now - $0) + " ago" } ?? "",
                "CrashLoop": s.crashLoop ? "yes" : "no",
            ]
            let json = String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self)
            return TemplateRow(fields: fields, json: json)
        }
        Out.write(try Self.summaryOutput.render(rows, format: format))
    }

    static let summaryOutput = ListFormat(
        defaultTable:
            "table {{.Name}}\t{{.State}}\t{{.Runs}}\t{{.RestartsLastHour}}\t{{.RestartsLastDay}}\t{{.Longest}}\t{{.Shortest}}\t{{.Exits}}\t{{.EndedBy}}\t{{.LastOOM}}\t{{.CrashLoop}}",
        headers: [
            "ID": "CONTAINER ID", "Name": "NAME", "State": "STATE", "Runs": "RUNS", "RestartsLastHour": "RESTARTS 1H",
            "RestartsLastDay": "RESTARTS 24H", "Longest": "LONGEST", "Shortest": "SHORTEST", "Exits": "EXIT CODES",
            "EndedBy": "ENDED BY", "LastOOM": "LAST OOM", "CrashLoop": "CRASH LOOP",
        ])
}

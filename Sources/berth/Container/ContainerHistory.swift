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
    @Argument(help: "CONTAINER (name or id; removed containers too)") var container: String

    func run() throws {
        let store = try global.store()
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
                "StartedAt": Clock.rfc3339Nano(r.startedAt).replacingOccurrences(of: #"\.\d+Z"#, with: "Z", options: .regularExpression),
                "FinishedAt": r.finishedAt.map { Clock.rfc3339Nano($0).replacingOccurrences(of: #"\.\d+Z"#, with: "Z", options: .regularExpression) } ?? "",
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

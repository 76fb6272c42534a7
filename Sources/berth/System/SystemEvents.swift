import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth events`: the whole persisted history, read from the database; without `--until` it
/// keeps following new events (polling the database, which berthd appends to).
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Get real time events from the server.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Show all events created since timestamp or relative (e.g. 24h).") var since: String?
    @Option(name: .long, help: "Stream events until this timestamp or relative.") var until: String?
    @Option(name: .shortAndLong, help: "Filter output based on conditions provided (key=value).") var filter: [String] = []
    @Option(name: .long, help: "Format the output using a Go template, or json.") var format: String?
    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp(
            "Show what changed between two times (T1 T2: RFC 3339, Unix seconds, a duration meaning that long ago, or now).",
            valueName: "T1 T2"))
    var diff: [String] = []

    func run() throws {
        let now = Clock.nowNanos()
        if !diff.isEmpty { return try showDiff(now: now) }
        func time(_ s: String?, _ flag: String) throws -> Int64? {
            guard let s else { return nil }
            guard let t = Clock.parseTimestamp(s, now: now) else { throw CLIError(message: "invalid value for \"\(flag)\": \(s)", code: 125) }
            return t
        }
        var q = EventQuery(since: try time(since, "since"), until: try time(until, "until"))
        q.filters.merge(try filterFlags(filter)) { a, b in a + b }
        do { try q.validate() } catch { throw CLIError(message: "Error response from daemon: " + BerthError.from(error).message) }
        let template: GoTemplate? = try format.flatMap { $0 == "json" ? try GoTemplate("{{json .}}") : try GoTemplate($0) }
        let store = try global.store()
        // History first: everything since `--since` (or, following only, from now on).
        var last: Int64 = 0
        if q.since != nil || q.until != nil {
            let events = try store.read { db in try q.run(db) }
            for e in events { try emit(e, template) }
            last = max(try store.read { db in try EventQuery.lastID(db) }, events.last?.id ?? 0)
        } else {
            last = try store.read { db in try EventQuery.lastID(db) }
        }
        if q.until != nil && q.until! <= Clock.nowNanos() { return }
        while true {
            var follow = q
            follow.since = nil
            follow.afterID = last
            let events = try store.read { db in try follow.run(db) }
            for e in events {
                if let until = q.until, e.timeNanos > until { return }
                try emit(e, template)
                last = e.id
            }
            if let until = q.until, Clock.nowNanos() > until { return }
            usleep(100_000)
        }
    }

    func emit(_ e: EventRecord, _ template: GoTemplate?) throws {
        guard let template else { Out.print(e.line); return }
        let data = try JSONSerialization.data(withJSONObject: e.dockerMessage, options: [.sortedKeys, .withoutEscapingSlashes])
        var fields = [
            "Type": e.type, "Action": e.action, "ID": e.actorID, "Status": e.action, "From": e.attributes["image"] ?? "",
            "Scope": "local", "Time": String(e.timeNanos / 1_000_000_000), "TimeNano": String(e.timeNanos),
            "Actor.ID": e.actorID,
        ]
        for (k, v) in e.attributes { fields["Actor.Attributes." + k] = v }
        let attrs = String(decoding: try JSONSerialization.data(withJSONObject: e.attributes, options: [.sortedKeys]), as: UTF8.self)
        Out.print(
            try template.render(
                TemplateRow(
                    fields: fields, labels: e.attributes,
                    json: String(decoding: data, as: UTF8.self),
                    jsonFields: ["Actor.Attributes": attrs])))
    }
}

extension EventsCommand {
    /// `--diff T1 T2`: one line per thing whose existence or state differs between the moments.
    func showDiff(now: Int64) throws {
        guard diff.count == 2 else {
            throw CLIError(message: "--diff takes two times, T1 and T2 (got \(diff.count))", code: 125)
        }
        if since != nil || until != nil || !filter.isEmpty {
            throw CLIError(message: "--diff cannot be combined with --since, --until or --filter", code: 125)
        }
        let times = try diff.map { text -> Int64 in
            if text == "now" { return now }
            guard let t = Clock.parseTimestamp(text, now: now) else {
                throw CLIError(
                    message: "invalid value for \"--diff\": \(text): use an RFC 3339 time (2026-12-01T03:00:00Z), Unix seconds, a duration meaning that long ago (2h), or now",
                    code: 125)
            }
            guard t <= now else { throw CLIError(message: "invalid value for \"--diff\": \(text) is in the future", code: 125) }
            return t
        }
        guard times[0] <= times[1] else {
            throw CLIError(message: "--diff: \(diff[0]) is after \(diff[1]); give the earlier time first", code: 125)
        }
        let store = try global.store()
        let changes = try store.read { db in try HostDiff(from: times[0], to: times[1]).run(db) }
        let rows = changes.map { c -> TemplateRow in
            let fields = [
                "Time": Clock.rfc3339Seconds(c.time),
                "TimeNano": String(c.time), "Type": c.type, "ID": c.id, "Name": c.name, "Change": c.change,
                "Before": c.before, "After": c.after, "Detail": c.detail,
            ]
            let json = String(decoding: (try? JSONCoding.encode(fields)) ?? Data(), as: UTF8.self)
            return TemplateRow(fields: fields, json: json)
        }
        Out.write(try Self.diffOutput.render(rows, format: format))
    }

    static let diffOutput = ListFormat(
        defaultTable: "table {{.Time}}\t{{.Type}}\t{{.Name}}\t{{.Change}}\t{{.Before}}\t{{.After}}\t{{.Detail}}",
        headers: [
            "Time": "TIME", "TimeNano": "TIME (NS)", "Type": "TYPE", "ID": "ID", "Name": "NAME", "Change": "CHANGE",
            "Before": "BEFORE", "After": "AFTER", "Detail": "DETAIL",
        ])
}

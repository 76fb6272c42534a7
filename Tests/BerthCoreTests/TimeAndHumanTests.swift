import Foundation
import Testing

@testable import BerthCore

@Suite struct TimeTests {
    @Test func rfc3339RoundTrip() {
        let ns: Int64 = 1_704_067_200_123_456_789
        let s = Clock.rfc3339Nano(ns)
        #expect(s == "2024-01-01T00:00:00.123456789Z")
        #expect(Clock.parseRFC3339(s) == ns)
        #expect(Clock.rfc3339Nano(1_704_067_200_000_000_000) == "2024-01-01T00:00:00Z")
        #expect(Clock.rfc3339Seconds(1_704_067_200_999_999_999) == "2024-01-01T00:00:00Z")
        #expect(Clock.rfc3339Seconds(-1) == "1969-12-31T23:59:59Z")
        #expect(Clock.parseRFC3339("2024-01-01T01:00:00+01:00") == 1_704_067_200_000_000_000)
        #expect(Clock.parseRFC3339("2024-01-01") == nil)
        #expect(Clock.parseRFC3339("2024-01-01T00:00:00Zjunk") == nil)
    }

    /// The civil-date arithmetic agrees with timegm over four centuries (leap years, the
    /// century rules, dates before 1970) and a month's day past its end rolls over as timegm's.
    @Test func rfc3339DaysMatchTimegm() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let y = Int.random(in: 1800...2200, using: &rng), mo = Int.random(in: 1...12, using: &rng)
            let d = Int.random(in: 1...31, using: &rng), h = Int.random(in: 0...23, using: &rng)
            let mi = Int.random(in: 0...59, using: &rng), se = Int.random(in: 0...59, using: &rng)
            var t = tm()
            t.tm_year = Int32(y - 1900); t.tm_mon = Int32(mo - 1); t.tm_mday = Int32(d)
            t.tm_hour = Int32(h); t.tm_min = Int32(mi); t.tm_sec = Int32(se)
            let want = Int64(timegm(&t)) * 1_000_000_000 + 5
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let text = "\(y)-\(two(mo))-\(two(d))T\(two(h)):\(two(mi)):\(two(se)).000000005Z"
            #expect(Clock.parseRFC3339(text) == want, "\(text)")
        }
        #expect(Clock.parseRFC3339("2024-13-01T00:00:00Z") == nil)
        #expect(Clock.parseRFC3339("2024-01-01T00-00:00Z") == nil)
    }

    @Test func goDurations() {
        #expect(Clock.parseGoDuration("10m") == 600_000_000_000)
        #expect(Clock.parseGoDuration("1h30m") == 5_400_000_000_000)
        #expect(Clock.parseGoDuration("1.5s") == 1_500_000_000)
        #expect(Clock.parseGoDuration("300ms") == 300_000_000)
        #expect(Clock.parseGoDuration("10") == nil)
        #expect(Clock.parseGoDuration("m") == nil)
        #expect(Clock.parseGoDuration("5x") == nil)
    }

    @Test func timestamps() {
        let now: Int64 = 2_000_000_000_000_000_000
        #expect(Clock.parseTimestamp("1h", now: now) == now - 3_600_000_000_000)
        #expect(Clock.parseTimestamp("1704067200", now: now) == 1_704_067_200_000_000_000)
        #expect(Clock.parseTimestamp("1704067200.5", now: now) == 1_704_067_200_500_000_000)
        #expect(Clock.parseTimestamp("2024-01-01", now: now) == 1_704_067_200_000_000_000)
        #expect(Clock.parseTimestamp("yesterday", now: now) == nil)
    }

    @Test func humanDuration() {
        let s: Int64 = 1_000_000_000
        #expect(Human.duration(nanos: 0) == "Less than a second")
        #expect(Human.duration(nanos: 1 * s) == "1 second")
        #expect(Human.duration(nanos: 45 * s) == "45 seconds")
        #expect(Human.duration(nanos: 90 * s) == "About a minute")
        #expect(Human.duration(nanos: 5 * 60 * s) == "5 minutes")
        #expect(Human.duration(nanos: 3600 * s) == "About an hour")
        #expect(Human.duration(nanos: 3 * 3600 * s) == "3 hours")
        #expect(Human.duration(nanos: 3 * 86400 * s) == "3 days")
        #expect(Human.duration(nanos: 20 * 86400 * s) == "2 weeks")
        #expect(Human.duration(nanos: 90 * 86400 * s) == "3 months")
        #expect(Human.duration(nanos: 800 * 86400 * s) == "2 years")
    }

    @Test func humanSize() {
        #expect(Human.size(0) == "0B")
        #expect(Human.size(999) == "999B")
        #expect(Human.size(1200) == "1.2kB")
        #expect(Human.size(4_264_000, precision: 3) == "4.26MB")
        #expect(Human.size(1_982_640, precision: 3) == "1.98MB")
        #expect(Human.size(1_982_640) == "1.983MB")
        #expect(Human.size(5_000_000_000) == "5GB")
    }
}

@Suite struct TemplateTests {
    let row = TemplateRow(
        fields: ["ID": "abc", "Repository": "busybox", "Tag": "latest"],
        labels: ["k": "v"], json: "{\"ID\":\"abc\"}")

    @Test func fieldsAndFunctions() throws {
        #expect(try GoTemplate("{{.Repository}}:{{.Tag}}").render(row) == "busybox:latest")
        #expect(try GoTemplate("{{ .ID }}\\t{{upper .Tag}}").render(row) == "abc\tLATEST")
        #expect(try GoTemplate("{{json .}}").render(row) == "{\"ID\":\"abc\"}")
        #expect(try GoTemplate("{{json .Tag}}").render(row) == "\"latest\"")
        #expect(try GoTemplate("{{.Label \"k\"}}-{{.Label \"missing\"}}").render(row) == "v-")
        #expect(try GoTemplate("{{.Repository}}").fieldNames == ["Repository"])
    }

    /// `index`: a map's key (a missing one is empty, as Go's zero value), a list's element,
    /// and `.Labels` of a list row as its labels.
    @Test func index() throws {
        let r = TemplateRow(
            fields: ["Config.Labels.com.example.role": "web", "Config.Cmd.0": "sh", "Config.Cmd.1": "-c"], labels: ["k": "v"], json: "{}")
        #expect(try GoTemplate("{{index .Config.Labels \"com.example.role\"}}|{{index .Config.Labels \"nope\"}}").render(r) == "web|")
        #expect(try GoTemplate("{{index .Config.Cmd 1}}").render(r) == "-c")
        #expect(try GoTemplate("{{index .Labels \"k\"}}").render(r) == "v")
        #expect(throws: BerthError.self) { try GoTemplate("{{index .Config.Cmd}}") }
        #expect(throws: BerthError.self) { try GoTemplate("{{index .Config.Cmd x}}") }
    }

    @Test func errors() {
        #expect(throws: BerthError.self) { try GoTemplate("{{.Nope}}").render(row) }
        #expect(throws: BerthError.self) { try GoTemplate("{{.ID") }
        #expect(throws: BerthError.self) { try GoTemplate("{{frobnicate .ID}}") }
    }

    @Test func tabwriter() {
        let out = TabWriter.format(["A\tBB\tC", "long-value\tx\ty"])
        #expect(out == "A            BB        C\nlong-value   x         y\n")
    }
}

@Suite struct NamingTests {
    @Test func familiar() {
        #expect(ImageName.familiar("docker.io/library/busybox") == "busybox")
        #expect(ImageName.familiar("docker.io/me/app") == "me/app")
        #expect(ImageName.familiar("localhost:5000/app") == "localhost:5000/app")
        #expect(ImageName.familiar("docker.io/library/a/b") == "library/a/b")
    }

    @Test func ids() {
        let id = Identifier.random()
        #expect(id.count == 64 && Identifier.isHex(id))
        #expect(Identifier.short("sha256:" + id) == String(id.prefix(12)))
        #expect(!Identifier.isHex("ABC"))
    }

    @Test func hosts() throws {
        #expect(try HostAddress.socketPath("unix:///run/x.sock") == "/run/x.sock")
        #expect(throws: BerthError.self) { try HostAddress.socketPath("tcp://1.2.3.4:2375") }
    }
}

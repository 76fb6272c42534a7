import Foundation

/// Time as berth stores it: nanoseconds since the Unix epoch.
public enum Clock {
    /// Now, in nanoseconds since the epoch.
    public static func nowNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    /// RFC 3339 with nanoseconds in UTC, as Docker prints times (`2006-01-02T15:04:05.999999999Z`).
    /// RFC 3339 in whole seconds (`2026-12-01T03:00:00Z`), as tables show times.
    public static func rfc3339Seconds(_ ns: Int64) -> String {
        rfc3339Nano(ns - ((ns % 1_000_000_000) + 1_000_000_000) % 1_000_000_000)
    }

    public static func rfc3339Nano(_ ns: Int64, trimZeros: Bool = true) -> String {
        // Floor division without overflow at Int64's ends.
        var secs = ns / 1_000_000_000
        var frac = ns % 1_000_000_000
        if frac < 0 { secs -= 1; frac += 1_000_000_000 }
        var t = time_t(secs)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var s = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d",
            Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1, Int(tmv.tm_mday),
            Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec))
        if frac != 0 || !trimZeros {
            var f = String(format: "%09lld", frac)
            if trimZeros { while f.hasSuffix("0") { f.removeLast() } }
            s += "." + f
        }
        return s + "Z"
    }

    /// Parses RFC 3339 (with optional fraction and offset) to nanoseconds.
    public static func parseRFC3339(_ text: String) -> Int64? {
        var s = text.trimmingCharacters(in: .whitespaces)
        return s.withUTF8 { parseRFC3339(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The same over bytes (a log record's first field): no allocation, no libc call, as
    /// `logs -f` parses a time for every line a fast writer writes.
    public static func parseRFC3339(bytes chars: UnsafeRawBufferPointer) -> Int64? {
        let count = chars.count
        guard count >= 19 else { return nil }
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= count else { return nil }
            var v = 0
            for k in a..<(a + n) {
                let c = chars[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), chars[4] == UInt8(ascii: "-"), let mo = num(5, 2), (1...12).contains(mo),
            chars[7] == UInt8(ascii: "-"), let d = num(8, 2), (1...31).contains(d),
            chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: "t") || chars[10] == UInt8(ascii: " "),
            let h = num(11, 2), chars[13] == UInt8(ascii: ":"), let mi = num(14, 2), chars[16] == UInt8(ascii: ":"),
            let se = num(17, 2)
        else { return nil }
        var i = 19
        var frac: Int64 = 0
        if i < count, chars[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < count, chars[i] >= 48, chars[i] <= 57 {
                if digits < 9 { frac = frac * 10 + Int64(chars[i] - 48); digits += 1 }
                i += 1
            }
            while digits < 9 { frac *= 10; digits += 1 }
        }
        var offset = 0
        if i < count {
            let c = chars[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                guard let oh = num(i + 1, 2), i + 3 < count, chars[i + 3] == UInt8(ascii: ":"),
                    let om = num(i + 4, 2)
                else { return nil }
                offset = (oh * 3600 + om * 60) * (c == UInt8(ascii: "+") ? 1 : -1)
                i += 6
            } else {
                return nil
            }
        }
        guard i == count else { return nil }
        // Days since 1970-01-01 of the civil date (proleptic Gregorian), as timegm counts them
        // (days past a month's end roll over, as timegm's do).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era) * 146097 + Int64(doe) - 719468
        let secs = days * 86400 + Int64(h * 3600 + mi * 60 + se) - Int64(offset)
        return Checked.multiply(secs, 1_000_000_000).flatMap { Checked.add($0, frac) }
    }

    /// Parses Docker's `--since`/`--until`/`until=` forms: a Go duration before now (`10m`,
    /// `1h30m`), RFC 3339, a date, or unix seconds with optional fraction.
    /// As the API takes them: a bare number is Unix seconds (clients turn durations into
    /// timestamps before sending), else as `parseTimestamp`.
    public static func parseAPITimestamp(_ text: String, now: Int64 = nowNanos()) -> Int64? {
        if !text.isEmpty, text.allSatisfy({ $0.isNumber || $0 == "." }), text.first != "." {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count <= 2, let secs = Int64(parts[0]) {
                var f = parts.count == 2 ? String(parts[1].prefix(9)) : ""
                while f.count < 9 { f += "0" }
                return Checked.multiply(secs, 1_000_000_000).flatMap { Checked.add($0, Int64(f) ?? 0) }
            }
        }
        return parseTimestamp(text, now: now)
    }

    public static func parseTimestamp(_ text: String, now: Int64 = nowNanos()) -> Int64? {
        if let d = parseGoDuration(text) { return Checked.subtract(now, d) }
        if let t = parseRFC3339(text) { return t }
        if text.count == 10, let t = parseRFC3339(text + "T00:00:00Z") { return t }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count <= 2, let secs = Int64(parts[0]) {
            guard var ns = Checked.multiply(secs, 1_000_000_000) else { return nil }
            if parts.count == 2 {
                var f = String(parts[1].prefix(9))
                guard f.allSatisfy(\.isNumber) else { return nil }
                while f.count < 9 { f += "0" }
                guard let sum = Checked.add(ns, Int64(f) ?? 0) else { return nil }
                ns = sum
            }
            return ns
        }
        return nil
    }

    /// Go's time.ParseDuration: `300ms`, `1.5h`, `2h45m`. Returns nanoseconds.
    public static func parseGoDuration(_ text: String) -> Int64? {
        var s = Substring(text)
        guard !s.isEmpty else { return nil }
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        if s == "0" { return 0 }
        var total: Double = 0
        var sawUnit = false
        while !s.isEmpty {
            let numPart = s.prefix { $0.isNumber || $0 == "." }
            guard !numPart.isEmpty, let v = Double(numPart), v.isFinite else { return nil }
            s = s.dropFirst(numPart.count)
            let unit = s.prefix { !$0.isNumber && $0 != "." }
            s = s.dropFirst(unit.count)
            let mult: Double
            switch unit {
            case "ns": mult = 1
            case "us", "µs", "μs": mult = 1e3
            case "ms": mult = 1e6
            case "s": mult = 1e9
            case "m": mult = 60e9
            case "h": mult = 3600e9
            default: return nil
            }
            sawUnit = true
            total += v * mult
        }
        guard sawUnit else { return nil }
        // Go refuses durations past Int64 nanoseconds (about 292 years) as invalid.
        return Checked.int64(negative ? -total : total)
    }
}

/// Docker's human forms (go-units): durations and sizes.
public enum Human {
    /// go-units HumanDuration: "Less than a second", "About a minute", "2 hours" …
    public static func duration(nanos: Int64) -> String {
        let seconds = Int64(Double(nanos) / 1e9)
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int64(Double(nanos) / 60e9)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int64((Double(nanos) / 3600e9).rounded())
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(hours / 24 / 365) years"
    }

    /// go-units HumanSizeWithPrecision: decimal units, `precision` significant digits
    /// (4 for HumanSize, 3 where Docker's tables use it: `4.26MB`).
    public static func size(_ bytes: Int64, precision: Int = 4) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var v = Double(bytes)
        var i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        return goG(v, precision) + units[i]
    }

    /// go-units BytesSize: binary units, 4 significant digits (`1.945MiB`), as `docker stats`.
    public static func bytesSize(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        var v = bytes
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return goG(v, 4) + units[i]
    }

    /// Go's `%.Ng` for the values HumanSize produces (< 1000): no exponent, no trailing zeros.
    static func goG(_ v: Double, _ precision: Int) -> String {
        if v == 0 { return "0" }
        let exp = Int(floor(log10(abs(v))))
        let decimals = max(0, precision - 1 - exp)
        var s = String(format: "%.\(decimals)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}

import Foundation
import Testing

@testable import BerthCore

/// Seeded random inputs (a property test standing in for a fuzzer: the same cases every run)
/// over the parsers and the time arithmetic: none may trap, and what parses is in range.
@Suite struct CheckedTests {

    static let pieces = [
        "0", "1", "9", ".", "-", "+", "e", "h", "m", "s", "ms", "us", "ns", "µs", "=", ":", "/",
        "9223372036854775807", "-9223372036854775808", "99999999999", "1e308", "nan", "inf",
        "2024-01-01T00:00:00Z", "T", "Z", "+01:00", " ", "\u{0}", "label", "a=b", "999999999999h",
    ]

    static func randomText(_ rng: inout SeededRandom) -> String {
        (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    @Test func parsersNeverTrap() {
        var rng = SeededRandom(seed: 20_261_129)
        for _ in 0..<50_000 {
            let s = Self.randomText(&rng)
            let now = Int64.random(in: .min ... .max, using: &rng)
            _ = Clock.parseGoDuration(s)
            _ = Clock.parseTimestamp(s, now: now)
            _ = Clock.parseAPITimestamp(s, now: now)
            _ = Clock.parseRFC3339(s)
            _ = KeyValue.parse(s)
            _ = try? KeyValue.parseFilter(s)
        }
    }

    @Test func timeArithmeticSaturates() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<20_000 {
            let a = Int64.random(in: .min ... .max, using: &rng)
            let b = Int64.random(in: .min ... .max, using: &rng)
            _ = Checked.saturatingAdd(a, b)
            _ = Checked.saturatingSubtract(a, b)
            _ = Checked.saturatingMultiply(a, b)
            _ = Checked.sleepNanos(seconds: a)
            _ = Clock.rfc3339Nano(a)
            _ = Human.duration(nanos: a)
        }
        for v in [Int64.min, Int64.max, 0, -1] { _ = Clock.rfc3339Nano(v) }
    }

    @Test func extremes() {
        #expect(Clock.parseGoDuration("999999999999h") == nil)
        #expect(Clock.parseGoDuration("2562047h") != nil)
        #expect(Clock.parseAPITimestamp("9223372036854775807") == nil)
        #expect(Clock.parseAPITimestamp("-9223372036854775808") == nil)
        #expect(Clock.parseTimestamp("99999999999h", now: 0) == nil)
        #expect(Clock.parseTimestamp("-2562047h", now: .max) == nil)
        #expect(Checked.int64(.nan) == nil)
        #expect(Checked.int64(1e30) == nil)
        #expect(Checked.int64(-1e30) == nil)
        #expect(Checked.int64(12.9) == 12)
        #expect(Checked.saturatingMultiply(.max, 2) == .max)
        #expect(Checked.saturatingMultiply(.min, 2) == .min)
        #expect(Checked.sleepNanos(seconds: -5) == 0)
        #expect(Checked.sleepNanos(seconds: .max) == UInt64(Int64.max))
        #expect(Clock.rfc3339Nano(-1) == "1969-12-31T23:59:59.999999999Z")
        #expect(KeyValue.parse("=") == KeyValue(key: "", value: ""))
        #expect(KeyValue.parse("a=b=c") == KeyValue(key: "a", value: "b=c"))
        #expect(KeyValue.parse("a") == KeyValue(key: "a", value: nil))
        #expect(throws: BerthError.self) { try KeyValue.parseFilter("=x") }
    }
}

@Suite struct SizeTests {
    @Test func ramInBytes() {
        #expect(Human.parseRAMBytes("512m") == 512 << 20)
        #expect(Human.parseRAMBytes("10MB") == 10 << 20)
        #expect(Human.parseRAMBytes("1.5g") == 1_610_612_736)
        #expect(Human.parseRAMBytes("100") == 100)
        #expect(Human.parseRAMBytes("100b") == 100)
        #expect(Human.parseRAMBytes("2KiB") == 2048)
        #expect(Human.parseRAMBytes("99999999999999999999g") == nil)
        #expect(Human.parseRAMBytes("-1m") == nil)
        #expect(Human.parseRAMBytes("m") == nil)
        #expect(Human.parseRAMBytes("") == nil)
        #expect(Human.parseRAMBytes("1e3") == nil)
        #expect(Human.parseRAMBytes("nan") == nil)
    }
}

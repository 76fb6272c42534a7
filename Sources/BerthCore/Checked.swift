import Foundation

/// Arithmetic on numbers that come from outside (requests, flags, files): Swift traps on
/// overflow, so every conversion and product here is checked or saturates.
public enum Checked {
    /// `v` as an Int64 when it is finite and in range (fraction dropped), else nil.
    public static func int64(_ v: Double) -> Int64? {
        guard v.isFinite, v > -9.223372036854775e18, v < 9.223372036854775e18 else { return nil }
        return Int64(v)
    }

    /// `a * b`, or nil on overflow.
    public static func multiply(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : r
    }

    /// `a + b`, or nil on overflow.
    public static func add(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }

    /// `a - b`, or nil on overflow.
    public static func subtract(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.subtractingReportingOverflow(b)
        return o ? nil : r
    }

    /// `a * b`, clamped to Int64's range.
    public static func saturatingMultiply(_ a: Int64, _ b: Int64) -> Int64 {
        multiply(a, b) ?? ((a < 0) != (b < 0) ? .min : .max)
    }

    /// `a + b`, clamped to Int64's range.
    public static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        add(a, b) ?? (b < 0 ? .min : .max)
    }

    /// `a - b`, clamped to Int64's range.
    public static func saturatingSubtract(_ a: Int64, _ b: Int64) -> Int64 {
        subtract(a, b) ?? (b > 0 ? .min : .max)
    }

    /// Seconds as nanoseconds for a sleep: negative is 0, huge is capped (about 292 years).
    public static func sleepNanos(seconds: Int64) -> UInt64 {
        UInt64(max(0, saturatingMultiply(seconds, 1_000_000_000)))
    }

    /// Nanoseconds for a sleep: negative is 0.
    public static func sleepNanos(_ ns: Int64) -> UInt64 { UInt64(max(0, ns)) }
}

/// `key=value` text as Docker's flags and filters take it.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    /// nil when there was no `=`.
    public var value: String?

    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }

    /// Splits at the first `=`; empty parts are kept (`=x` has an empty key).
    public static func parse(_ text: String) -> KeyValue {
        guard let i = text.firstIndex(of: "=") else { return KeyValue(key: text, value: nil) }
        return KeyValue(key: String(text[..<i]), value: String(text[text.index(after: i)...]))
    }

    /// As `parse`, refusing an empty key with Docker's wording for filters.
    public static func parseFilter(_ text: String, what: String = "filter") throws -> KeyValue {
        let kv = parse(text)
        guard !kv.key.isEmpty else { throw BerthError.invalid("invalid \(what) '\(text)': the key is empty") }
        return kv
    }
}

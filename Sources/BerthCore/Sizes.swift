import Foundation

extension Human {
    /// go-units RAMInBytes, as Docker reads `-m 512m` and `--log-opt max-size=10m`: a number
    /// (fraction allowed) and an optional binary unit b, k, m, g, t, p (with or without a
    /// trailing `b`/`ib`, any case). nil when malformed, negative or past Int64.
    public static func parseRAMBytes(_ text: String) -> Int64? {
        var s = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !s.isEmpty else { return nil }
        if s.hasSuffix("ib") { s.removeLast(2) } else if s.hasSuffix("b") && s.count > 1 && !(s.dropLast().last?.isNumber ?? true) { s.removeLast() }
        let units: [Character: Double] = [
            "b": 1, "k": 1024, "m": 1_048_576, "g": 1_073_741_824,
            "t": 1_099_511_627_776, "p": 1_125_899_906_842_624,
        ]
        var mult: Double = 1
        if let u = s.last, let m = units[u] { mult = m; s.removeLast() }
        guard !s.isEmpty, s.allSatisfy({ $0.isNumber || $0 == "." }), let v = Double(s), v >= 0 else { return nil }
        return Checked.int64(v * mult)
    }
}

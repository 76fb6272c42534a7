import Foundation

/// Container and object identifiers.
public enum Identifier {
    /// A random 64-hex-character id, as Docker's.
    public static func random() -> String {
        var rng = SystemRandomNumberGenerator()
        var s = ""
        s.reserveCapacity(64)
        for _ in 0..<4 {
            s += String(format: "%016llx", rng.next() as UInt64)
        }
        return s
    }

    /// The 12-character short form of an id, with any `sha256:` prefix dropped.
    public static func short(_ id: String) -> String {
        let hex = id.hasPrefix("sha256:") ? String(id.dropFirst(7)) : id
        return String(hex.prefix(12))
    }

    /// Whether `s` is only lowercase hex digits.
    public static func isHex(_ s: some StringProtocol) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}

import Foundation

/// Names Docker gives containers created without --name.
enum NameGenerator {
    static let left = [
        "admiring", "brave", "calm", "clever", "dazzling", "eager", "festive", "gallant", "happy",
        "jolly", "keen", "loving", "nifty", "quirky", "serene", "stoic", "tender", "vibrant", "wizardly", "zealous",
    ]
    static let right = [
        "albattani", "babbage", "curie", "darwin", "euclid", "fermi", "galileo", "hopper", "kepler",
        "lovelace", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "turing",
        "wozniak", "yonath",
    ]

    static func make() -> String {
        left.randomElement()! + "_" + right.randomElement()!
    }

    /// `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`
    static func isValid(_ n: String) -> Bool {
        let b = Array(n.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        guard b.count >= 2, alnum(b[0]) else { return false }
        return b.dropFirst().allSatisfy { alnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }
    }
}

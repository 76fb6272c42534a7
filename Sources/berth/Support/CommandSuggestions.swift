/// The commands nearest to a mistyped one: Damerau–Levenshtein distance at most 2 (or a prefix
/// match), closest first.
enum CommandSuggestions {
    static func nearest(_ name: String, among names: Set<String>) -> [String] {
        let scored = names.map { ($0, distance(name.lowercased(), $0)) }
            .filter { $0.1 <= 2 || ($0.0.hasPrefix(name) && name.count >= 2) }
        guard let best = scored.map(\.1).min() else { return [] }
        return scored.filter { $0.1 == best || $0.0.hasPrefix(name) }.map(\.0).sorted()
    }

    /// Optimal string alignment distance (a transposition counts as one edit).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}

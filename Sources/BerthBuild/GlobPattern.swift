import BerthCore

/// A `.dockerignore` or COPY pattern: Go's filepath.Match per path element (`*`, `?`, `[…]`,
/// `\` escapes) plus `**` for any number of elements. Matched by walking the pattern's states
/// over the path once (a set of positions, never backtracking): time is path length × pattern
/// length whatever the pattern, where a regular expression of `**/**/…` takes exponential time
/// on a path it does not match, and both kinds of pattern come from outside (a build context,
/// a Dockerfile).
public struct GlobPattern: Sendable {
    enum Token: Sendable {
        case literal(Character)
        /// `?`: one character but `/`.
        case one
        /// `*`: any run of characters but `/`.
        case star
        /// `**` not followed by `/`: any run of characters.
        case any
        /// `**/`: no directories, or any run of characters ending with `/`.
        case dirs
        /// `[…]`: one character (not `/`) in, or with `^`/`!` not in, the ranges.
        case set([ClosedRange<Character>], negated: Bool)
    }
    let tokens: [Token]

    public init(_ p: String) throws {
        var out: [Token] = []
        let c = Array(p)
        var i = 0
        while i < c.count {
            switch c[i] {
            case "*":
                if i + 1 < c.count && c[i + 1] == "*" {
                    if i + 2 < c.count && c[i + 2] == "/" {
                        out.append(.dirs)
                        i += 3
                    } else {
                        out.append(.any)
                        i += 2
                    }
                    continue
                }
                out.append(.star)
            case "?": out.append(.one)
            case "[":
                var j = i + 1
                var negated = false
                if j < c.count, c[j] == "^" || c[j] == "!" { negated = true; j += 1 }
                var ranges: [ClosedRange<Character>] = []
                var closed = false
                while j < c.count {
                    if c[j] == "]" {
                        closed = true
                        break
                    }
                    var lo = c[j]
                    if lo == "\\", j + 1 < c.count { j += 1; lo = c[j] }
                    var hi = lo
                    if j + 2 < c.count, c[j + 1] == "-", c[j + 2] != "]" {
                        j += 2
                        hi = c[j]
                        if hi == "\\", j + 1 < c.count { j += 1; hi = c[j] }
                    }
                    guard lo <= hi else { throw BerthError.invalid("syntax error in pattern \"\(p)\"") }
                    ranges.append(lo...hi)
                    j += 1
                }
                guard closed, !ranges.isEmpty else { throw BerthError.invalid("syntax error in pattern \"\(p)\"") }
                out.append(.set(ranges, negated: negated))
                i = j
            case "\\":
                if i + 1 < c.count { out.append(.literal(c[i + 1])); i += 1 } else { out.append(.literal("\\")) }
            default:
                out.append(.literal(c[i]))
            }
            i += 1
        }
        tokens = out
    }

    /// Whether the whole of `path` matches. Only the live states are visited per character.
    public func matches(_ path: String) -> Bool {
        // State 2k: at token k; 2k+1: inside token k's `**/`, which must end with a `/`.
        let n = tokens.count
        var mark = [Bool](repeating: false, count: 2 * n + 2)
        var now: [Int] = []
        var next: [Int] = []
        func add(_ state: Int, _ list: inout [Int]) {
            guard !mark[state] else { return }
            mark[state] = true
            list.append(state)
            // A token that may match nothing is passed over at once.
            if state % 2 == 0, state / 2 < n {
                switch tokens[state / 2] {
                case .star, .any, .dirs: add(state + 2, &list)
                default: break
                }
            }
        }
        add(0, &now)
        for ch in path {
            for st in now { mark[st] = false }
            next.removeAll(keepingCapacity: true)
            for st in now where st / 2 < n {
                let k = st / 2, fresh = st % 2 == 0
                switch tokens[k] {
                case .literal(let l): if fresh && ch == l { add(2 * (k + 1), &next) }
                case .one: if fresh && ch != "/" { add(2 * (k + 1), &next) }
                case .set(let ranges, let negated):
                    if fresh && ch != "/" && ranges.contains(where: { $0.contains(ch) }) != negated { add(2 * (k + 1), &next) }
                case .star: if ch != "/" { add(2 * k, &next) }
                case .any: add(2 * k, &next)
                case .dirs:
                    add(2 * k + 1, &next)
                    if ch == "/" { add(2 * (k + 1), &next) }
                }
            }
            if next.isEmpty { return false }
            swap(&now, &next)
        }
        return now.contains(2 * n)
    }
}

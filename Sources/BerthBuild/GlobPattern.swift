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

    /// Whether the whole of `path` matches.
    public func matches(_ path: String) -> Bool {
        // State 2k: at token k; 2k+1: inside token k's `**/`, which must end with a `/`.
        let n = tokens.count
        var now = [Bool](repeating: false, count: 2 * n + 2)
        var next = now
        func close(_ s: inout [Bool]) {
            // Tokens that may match nothing are passed over.
            for k in 0..<n where s[2 * k] {
                switch tokens[k] {
                case .star, .any, .dirs: s[2 * (k + 1)] = true
                default: break
                }
            }
        }
        now[0] = true
        close(&now)
        for ch in path {
            for k in next.indices { next[k] = false }
            var any = false
            for k in 0..<n {
                let fresh = now[2 * k], inside = now[2 * k + 1]
                guard fresh || inside else { continue }
                switch tokens[k] {
                case .literal(let l): if fresh && ch == l { next[2 * (k + 1)] = true; any = true }
                case .one: if fresh && ch != "/" { next[2 * (k + 1)] = true; any = true }
                case .set(let ranges, let negated):
                    if fresh && ch != "/" && ranges.contains(where: { $0.contains(ch) }) != negated { next[2 * (k + 1)] = true; any = true }
                case .star: if ch != "/" { next[2 * k] = true; any = true }
                case .any: next[2 * k] = true; any = true
                case .dirs:
                    next[2 * k + 1] = true
                    if ch == "/" { next[2 * (k + 1)] = true }
                    any = true
                }
            }
            guard any else { return false }
            close(&next)
            swap(&now, &next)
        }
        return now[2 * n]
    }
}

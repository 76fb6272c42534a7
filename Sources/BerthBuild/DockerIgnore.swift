import BerthCore
import Foundation

/// `.dockerignore` with Docker's rules: one pattern per line, `#` comments, Go's filepath.Match
/// per path element plus `**` for any number of elements, `!` to re-include; the last pattern
/// that matches a path decides; a pattern matching a directory excludes what is inside it.
public struct DockerIgnore: Sendable {
    struct Pattern: Sendable {
        var glob: GlobPattern
        var exclusion: Bool
    }
    let patterns: [Pattern]

    public init(_ text: String) throws {
        var out: [Pattern] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var p = raw.trimmingCharacters(in: .whitespaces)
            if p.isEmpty || p.hasPrefix("#") { continue }
            var exclusion = false
            if p.hasPrefix("!") {
                exclusion = true
                p = String(p.dropFirst()).trimmingCharacters(in: .whitespaces)
            }
            // A pattern that climbs above the context (`../*`) names nothing in it: Docker's
            // filepath.Clean keeps the `..`, and no context path matches it.
            if Self.climbsOut(p) { continue }
            p = Self.clean(p)
            if p.isEmpty || p == "." { continue }
            do {
                out.append(Pattern(glob: try GlobPattern(p), exclusion: exclusion))
            } catch {
                throw BerthError.invalid("syntax error in .dockerignore pattern \"\(p)\"")
            }
        }
        patterns = out
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out.
    public func excludes(_ path: String) -> Bool {
        let p = Self.clean(path)
        // The path itself or any directory above it.
        var candidates = [p]
        var parent = p
        while let slash = parent.lastIndex(of: "/") {
            parent = String(parent[..<slash])
            candidates.append(parent)
        }
        var excluded = false
        for pat in patterns {
            let hit = candidates.contains { pat.glob.matches($0) }
            if hit { excluded = !pat.exclusion }
        }
        return excluded
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether `..` elements lead above the start of the path.
    static func climbsOut(_ p: String) -> Bool {
        var depth = 0
        for part in p.split(separator: "/") {
            if part == ".." { depth -= 1 } else if part != "." && !part.isEmpty { depth += 1 }
            if depth < 0 { return true }
        }
        return false
    }

    /// filepath.Clean, without a leading `/` or `./`.
    public static func clean(_ p: String) -> String {
        var parts: [Substring] = []
        for part in p.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }
}

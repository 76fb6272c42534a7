import BerthCore
import Foundation

/// Rules for names inside archives: nothing may reach outside the directory being filled.
public enum PathSafety {
    /// The components of an archive entry name, `./` and empty parts dropped.
    /// Absolute names and `..` components are refused, naming the entry.
    public static func components(of name: String, entry: String? = nil) throws -> [String] {
        let label = entry ?? name
        if name.hasPrefix("/") {
            throw BerthError.corrupt("archive entry \"\(label)\" has an absolute path")
        }
        var parts: [String] = []
        for p in name.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == ".." {
                throw BerthError.corrupt("archive entry \"\(label)\" points outside the target directory (\"..\")")
            }
            if p.utf8.contains(0) { throw BerthError.corrupt("archive entry \"\(label)\" has a NUL byte in its name") }
            parts.append(String(p))
        }
        return parts
    }

    /// What a layer entry means for overlayfs.
    public enum WhiteoutKind: Equatable, Sendable {
        /// An ordinary entry.
        case none
        /// `.wh.NAME`: delete NAME from lower layers (becomes a 0/0 char device NAME).
        case whiteout(name: String)
        /// `.wh..wh..opq`: hide everything below this directory in lower layers.
        case opaque
    }

    public static let whiteoutPrefix = ".wh."
    public static let opaqueMarker = ".wh..wh..opq"

    /// Classifies the last component of an entry name.
    public static func whiteout(_ base: String) throws -> WhiteoutKind {
        if base == opaqueMarker { return .opaque }
        if base.hasPrefix(whiteoutPrefix) {
            let name = String(base.dropFirst(whiteoutPrefix.count))
            guard !name.isEmpty, name != ".", name != "..", !name.hasPrefix(".wh.") else {
                throw BerthError.corrupt("archive has an invalid whiteout \"\(base)\"")
            }
            return .whiteout(name: name)
        }
        return .none
    }

    /// Resolves `path` inside `root` as a process whose root is `root` would, following
    /// symlinks (absolute ones from `root`, `..` never above it) except a final one unless
    /// `followFinal`. Returns the host path.
    public static func resolveInRoot(_ root: String, _ path: String, followFinal: Bool = false) throws -> String {
        var pending = path.split(separator: "/").map(String.init)
        pending.reverse()
        var resolved: [String] = []
        var hops = 0
        while let part = pending.popLast() {
            if part == "." || part.isEmpty { continue }
            if part == ".." { _ = resolved.popLast(); continue }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            var st = stat()
            let isLast = pending.isEmpty
            if lstat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK && (!isLast || followFinal) {
                hops += 1
                if hops > 40 { throw BerthError.invalid("too many levels of symbolic links: \(path)") }
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(candidate, &buf, buf.count - 1)
                guard n >= 0 else { throw BerthError.posix("readlink \(candidate)") }
                let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                continue
            }
            resolved.append(part)
        }
        return root + (resolved.isEmpty ? "" : "/" + resolved.joined(separator: "/"))
    }
}

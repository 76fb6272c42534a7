import BerthCore

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
}

import BerthCore
import Foundation

/// Start-up cleaning's safety catch. Files no row records are normally crash leftovers (a few
/// at most) and are deleted; but when the database is new, or records far less than the root
/// holds, the database was lost, replaced or rolled back (a deleted WAL): then nothing is
/// deleted and nothing running is touched — the unrecorded files are moved to
/// `ROOT/lost+found/<time>/` and berthd says so.
public final class LostAndFound: Sendable {
    /// Where this start moves things (made by the first `keep`).
    public let dir: String
    /// True when unrecorded files must be kept, not deleted.
    public let keepUnrecorded: Bool

    /// More unrecorded items than this (and than recorded ones) is not a crash's leftover.
    static let crashLeftoverLimit = 8

    public init(paths: BerthPaths, freshDatabase: Bool, unrecorded: Int, recorded: Int) {
        dir = paths.root + "/lost+found/" + Clock.rfc3339Nano(Clock.nowNanos()).replacingOccurrences(of: ":", with: "")
        keepUnrecorded = Self.suspicious(freshDatabase: freshDatabase, unrecorded: unrecorded, recorded: recorded)
    }

    /// The rule, on its own for tests.
    public static func suspicious(freshDatabase: Bool, unrecorded: Int, recorded: Int) -> Bool {
        if unrecorded == 0 { return false }
        if freshDatabase { return true }
        return unrecorded > crashLeftoverLimit && unrecorded > recorded
    }

    /// Moves `path` (of kind `kind`: containers, blobs, layers) aside; false if it could not.
    @discardableResult
    public func keep(_ path: String, kind: String) -> Bool {
        let target = dir + "/" + kind
        guard (try? FileOps.makeDirs(target, mode: 0o700)) != nil else { return false }
        return rename(path, target + "/" + (path as NSString).lastPathComponent) == 0
    }
}

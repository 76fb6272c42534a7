import BerthCore
import CBerthSys
import Foundation

/// What a container (or a build step) changed, read from its overlayfs upper directory: the
/// A/C/D list of `diff` and the layer tar of `commit` and `build`. The upper directory is read
/// through directory descriptors opened without following symlinks, so a running container
/// that swaps a directory for a symlink cannot make berthd read the host.
public struct LayerDiff {
    /// Docker's change kinds (`GET /containers/{id}/changes`): 0 modified, 1 added, 2 deleted.
    public enum Kind: Int, Sendable, Codable { case modified = 0, added = 1, deleted = 2 }

    public struct Change: Equatable, Sendable {
        public var path: String
        public var kind: Kind
    }

    /// Paths the runtime creates as mount points (Docker keeps them in an init layer): never
    /// part of a container's changes.
    public static let runtimeMountPoints: Set<String> = [
        "/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/.dockerenv", "/run/.containerenv",
    ]

    /// One entry of the upper directory worth reporting, in tar order (parents first, sorted).
    struct Item {
        enum Node { case whiteout, opaqueMarker, entry }
        var path: String  // "/a/b"
        var node: Node
        var kind: Kind
        var dirFD: Int32  // the parent directory, open while items are used
        var name: String
        var st: stat
    }

    let upper: String
    let lowers: [String]
    let excluded: Set<String>

    /// `upper`: the overlay upper dir; `lowers`: the image's layer dirs, top first.
    public init(upper: String, lowers: [String], excluded: Set<String> = LayerDiff.runtimeMountPoints) {
        self.upper = upper
        self.lowers = lowers
        self.excluded = excluded
    }

    /// The A/C/D list, sorted by path.
    public func changes() throws -> [Change] {
        try walk { items in
            items.compactMap { i in i.node == .opaqueMarker ? nil : Change(path: i.path, kind: i.kind) }
        }
    }

    /// Writes the changes as a gzip layer tar at `dest`: overlay whiteouts become `.wh.` files,
    /// opaque directories get `.wh..wh..opq`; entries sorted, owners numeric, no access or
    /// change times, modification times clamped to `clamp` (seconds) when given, no gzip
    /// timestamp — the same changes give the same bytes. Returns the number of entries.
    @discardableResult
    public func writeLayer(to dest: String, clamp: Int64? = nil) throws -> Int {
        try walk { items in
            let w = try LayerTarWriter(path: dest)
            var links: [String: String] = [:]
            for i in items { try w.add(i, clamp: clamp, links: &links) }
            try w.close()
            return items.count
        }
    }

    /// Collects the items with every directory descriptor open, hands them to `body`, closes.
    func walk<T>(_ body: ([Item]) throws -> T) throws -> T {
        let root = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard root >= 0 else { throw BerthError.posix("open \(upper)") }
        var fds = [root]
        defer { for fd in fds { close(fd) } }
        var items: [Item] = []
        _ = try walkDir(root, path: "", items: &items, fds: &fds)
        return try body(items)
    }

    /// Appends the items under `path` (kept directories before their children); returns
    /// whether anything was appended.
    private func walkDir(_ dirFD: Int32, path: String, items: inout [Item], fds: inout [Int32]) throws -> Bool {
        let start = items.count
        for name in try Self.names(dirFD) {
            let p = path + "/" + name
            if excluded.contains(p) { continue }
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { throw BerthError.posix("stat \(upper)\(p)") }
            let type = st.st_mode & S_IFMT
            if type == S_IFCHR && st.st_rdev == 0 {
                items.append(Item(path: p, node: .whiteout, kind: .deleted, dirFD: dirFD, name: name, st: st))
                continue
            }
            if type == S_IFSOCK { continue }
            let lower = lowerStat(p)
            let kind: Kind = lower == nil ? .added : .modified
            guard type == S_IFDIR else {
                items.append(Item(path: p, node: .entry, kind: kind, dirFD: dirFD, name: name, st: st))
                continue
            }
            let fd = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw BerthError.posix("open \(upper)\(p)") }
            fds.append(fd)
            let opaque = Self.xattr(dirFD, name, OverlayXattrs.opaque) == Data("y".utf8)
            let at = items.count
            items.append(Item(path: p, node: .entry, kind: kind, dirFD: dirFD, name: name, st: st))
            if opaque {
                items.append(Item(path: p + "/" + PathSafety.opaqueMarker, node: .opaqueMarker, kind: .modified, dirFD: fd, name: "", st: st))
            }
            let changedBelow = try walkDir(fd, path: p, items: &items, fds: &fds)
            // A directory overlayfs copied up only because something below it changed (or a
            // runtime mount point was made in it) is not itself a change.
            if let l = lower, !opaque, !changedBelow, Self.sameMetadata(st, l) {
                items.removeSubrange(at...)
            }
        }
        return items.count > start
    }

    /// The entry as the image's layers show it, or nil when they do not have it.
    private func lowerStat(_ path: String) -> stat? {
        for l in lowers {
            var st = stat()
            if lstat(l + path, &st) == 0 {
                if (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0 { return nil }  // deleted there
                return st
            }
        }
        return nil
    }

    static func sameMetadata(_ a: stat, _ b: stat) -> Bool {
        a.st_mode == b.st_mode && a.st_uid == b.st_uid && a.st_gid == b.st_gid
    }

    /// A directory's entry names in byte order (tar order independent of the filesystem).
    static func names(_ dirFD: Int32) throws -> [String] {
        let dup = fcntl(dirFD, F_DUPFD_CLOEXEC, 0)
        guard dup >= 0, let dir = fdopendir(dup) else { throw BerthError.posix("read directory") }
        defer { closedir(dir) }
        var out: [[UInt8]] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [46] || name == [46, 46] { continue }
            out.append(name)
        }
        return out.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// An extended attribute of `name` in the directory `dirFD` (not following a symlink).
    static func xattr(_ dirFD: Int32, _ name: String, _ key: String) -> Data? {
        let path = "/proc/self/fd/\(dirFD)/\(name)"
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = berth_lgetxattr(path, key, &buf, buf.count)
        return n >= 0 ? Data(buf[0..<n]) : nil
    }

    /// The attribute names worth keeping in a layer: file capabilities and user attributes
    /// (overlay's own, `trusted.overlay.` or a rootless `user.overlay.`, describe the upper dir,
    /// not the image).
    static func keptXattrs(_ dirFD: Int32, _ name: String) -> [(String, Data)] {
        let path = "/proc/self/fd/\(dirFD)/\(name)"
        var buf = [CChar](repeating: 0, count: 4096)
        let n = berth_llistxattr(path, &buf, buf.count)
        guard n > 0 else { return [] }
        let names = buf[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return names.filter { $0 == "security.capability" || ($0.hasPrefix("user.") && !OverlayXattrs.isOverlays($0)) }.compactMap { k in
            xattr(dirFD, name, k).map { (k, $0) }
        }
    }
}

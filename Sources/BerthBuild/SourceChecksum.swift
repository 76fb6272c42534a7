import BerthCore
import BerthImage
import Foundation

/// The classic builder's cache key for COPY/ADD sources: names, types, modes, link targets and
/// contents of everything copied — not times, so a touched but unchanged file still hits.
public enum SourceChecksum {
    /// `sources`: each path on the host with the name it is copied under.
    public static func of(_ sources: [(path: String, name: String)]) throws -> String {
        var d = StreamingDigest()
        for s in sources { try add(s.path, name: s.name, into: &d) }
        return d.finish().string
    }

    private static func add(_ path: String, name: String, into d: inout StreamingDigest) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw BerthError.posix("stat \(path)") }
        let type = st.st_mode & S_IFMT
        func put(_ s: String) { Array(s.utf8).withUnsafeBytes { d.update($0) } }
        put("\(name)\0\(type)\0\(st.st_mode & 0o7777)\0")
        switch type {
        case S_IFREG:
            put("\(st.st_size)\0")
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw BerthError.posix("open \(path)") }
            defer { close(fd) }
            try FileOps.readChunks(fd, what: path) { d.update($0) }
        case S_IFLNK:
            put((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "")
        case S_IFDIR:
            for child in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
                try add(path + "/" + child, name: name + "/" + child, into: &d)
            }
        default:
            put("\(st.st_rdev)")
        }
        put("\n")
    }
}

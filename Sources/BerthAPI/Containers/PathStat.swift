/// What Docker's `X-Docker-Container-Path-Stat` header describes.
public struct PathStat: Codable, Sendable {
    public var name: String
    public var size: Int64
    /// Go's os.FileMode bits: permissions plus type flags (directory 1<<31, symlink 1<<27).
    public var mode: UInt32
    public var mtime: String
    public var linkTarget: String

    public init(name: String, size: Int64, mode: UInt32, mtime: String, linkTarget: String) {
        self.name = name; self.size = size; self.mode = mode; self.mtime = mtime; self.linkTarget = linkTarget
    }

    public var isDirectory: Bool { mode & (1 << 31) != 0 }
}

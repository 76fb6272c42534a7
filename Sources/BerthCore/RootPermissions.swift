import Foundation

/// Who may read what berth keeps: container configs (with their secrets) live in the database,
/// so it and everything under the root are root's alone, or root's and the `berth` group's
/// when an operator made that group (as the docker group convention for the socket).
public enum RootPermissions {
    /// The optional group allowed to read the database and use the socket.
    public static let groupName = "berth"

    /// The `berth` group's id, when the group exists (never for a rootless berthd: its state is
    /// the user's alone).
    public static func accessGroup() -> gid_t? {
        guard !RootlessHost.active, let g = getgrnam(groupName) else { return nil }
        return g.pointee.gr_gid
    }

    /// The mode (and group) of the database files: 0640 root:berth, or 0600.
    public static func databaseMode() -> (mode: mode_t, group: gid_t?) {
        if let g = accessGroup() { return (0o640, g) }
        return (0o600, nil)
    }

    /// Creates the database file (when absent) with its final mode before SQLite opens it:
    /// SQLite gives the -wal and -shm files the database's mode, so none is ever readable by
    /// others, not even for a moment.
    public static func prepareDatabase(_ path: String) throws {
        let (mode, group) = databaseMode()
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw BerthError.posix("create \(path)") }
        close(fd)
        for f in [path, path + "-wal", path + "-shm", path + "-journal"] where FileOps.exists(f) {
            chmod(f, mode)
            if let group { chown(f, 0, group) } else if geteuid() == 0 { chown(f, 0, 0) }
        }
    }

    /// The root's own mode: 0711 (traversable, not listable); a rootless one 0700.
    public static var rootMode: mode_t { RootlessHost.active ? 0o700 : 0o711 }

    /// The API socket's mode: 0660 (root and the `berth` group); a rootless one 0600.
    public static var socketMode: mode_t { RootlessHost.active ? 0o600 : 0o660 }

    /// Fixes the modes of an existing root at start: the root itself `rootMode`, each folder
    /// below it 0700, each other file 0600 (the database as above).
    public static func secure(_ paths: BerthPaths) {
        chmod(paths.root, rootMode)
        let (dbMode, group) = databaseMode()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: paths.root)) ?? [] {
            let p = paths.root + "/" + name
            var st = stat()
            guard lstat(p, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: chmod(p, 0o700)
            case S_IFREG:
                if name.hasPrefix("berth.db") {
                    chmod(p, dbMode)
                    if let group { chown(p, 0, group) }
                } else {
                    chmod(p, 0o600)
                }
            default: break
            }
        }
    }

    /// The message for a user who may not read the root or use the socket.
    public static func deniedMessage(_ what: String) -> String {
        "permission denied: \(what) (run as root or join group \"\(groupName)\")"
    }
}

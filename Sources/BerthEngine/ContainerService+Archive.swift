import BerthAPI
import BerthCore
import BerthImage
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// Where a container path lives on the host: resolved in the container's rootfs (mounted
    /// for the time of `body` if the container is not running), then mapped into the volume,
    /// bind mount or per-container file mounted there. `readOnly` says the mount is.
    func withHostPath<T>(
        _ ref: String, _ path: String, followFinal: Bool,
        _ body: (_ host: String, _ readOnly: Bool) throws -> T
    ) throws -> T {
        let c = try get(ref)
        let f = files(c.id)
        let rows = try store.read { db in try ContainerQueries.mounts(db, id: c.id) }
        return try withRootfs(c) { try resolveHostPath(c, f: f, rows: rows, path, followFinal: followFinal, body) }
    }

    private func resolveHostPath<T>(
        _ c: ContainerRecord, f: Files, rows: [ContainerQueries.MountRow], _ path: String, followFinal: Bool,
        _ body: (_ host: String, _ readOnly: Bool) throws -> T
    ) throws -> T {
        var mounts = rows
        for (file, dest) in [(f.hosts, "/etc/hosts"), (f.hostname, "/etc/hostname"), (f.resolv, "/etc/resolv.conf")]
        where !mounts.contains(where: { $0.destination == dest }) {
            mounts.append(.init(type: "bind", source: file, destination: dest, volumeName: nil, readOnly: false))
        }
        let inRoot = try PathSafety.resolveInRoot(f.rootfs, path, followFinal: followFinal)
        let ctrPath: String = "/" + String(inRoot.dropFirst(f.rootfs.count).drop(while: { $0 == "/" }))
        var hit: ContainerQueries.MountRow?
        for m in mounts where ctrPath == m.destination || ctrPath.hasPrefix(m.destination + "/") {
            if hit == nil || m.destination.count > hit!.destination.count { hit = m }
        }
        guard let m = hit else {
            let hc = try JSONDecoder().decode(HostConfig.self, from: Data(c.hostConfigJSON.utf8))
            return try body(inRoot, hc.ReadonlyRootfs == true)
        }
        guard m.type != "tmpfs", let source = m.source else {
            throw BerthError.invalid("\(path) is on a tmpfs mount, which berth cp cannot reach")
        }
        let rest = String(ctrPath.dropFirst(m.destination.count))
        return try body(rest.isEmpty ? source : try PathSafety.resolveInRoot(source, rest, followFinal: followFinal), m.readOnly)
    }

    /// The last element of a slash-separated path ("/" for the root).
    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? "/"
    }

    /// HEAD /containers/{id}/archive.
    public func statPath(_ ref: String, _ path: String) async throws -> PathStat {
        try await onContainer(ref) { [self] in
            try withHostPath(ref, path, followFinal: false) { host, _ in try Self.stat(host: host, path) }
        }
    }

    static func stat(host: String, _ path: String) throws -> PathStat {
        var st = Glibc.stat()
        guard lstat(host, &st) == 0 else {
            throw BerthError.notFound("Could not find the file \(path) in container")
        }
        var mode = UInt32(st.st_mode & 0o777)
        switch st.st_mode & S_IFMT {
        case S_IFDIR: mode |= 1 << 31
        case S_IFLNK: mode |= 1 << 27
        case S_IFCHR: mode |= (1 << 26) | (1 << 21)
        case S_IFBLK: mode |= 1 << 26
        case S_IFIFO: mode |= 1 << 25
        case S_IFSOCK: mode |= 1 << 24
        default: break
        }
        if st.st_mode & S_ISUID != 0 { mode |= 1 << 23 }
        if st.st_mode & S_ISGID != 0 { mode |= 1 << 22 }
        if st.st_mode & S_ISVTX != 0 { mode |= 1 << 20 }
        var link = ""
        if (st.st_mode & S_IFMT) == S_IFLNK {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(host, &buf, buf.count - 1)
            if n > 0 { link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        let name = baseName(path)
        let mtime = Clock.rfc3339Nano(Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
        return PathStat(name: name, size: Int64(st.st_size), mode: mode, mtime: mtime, linkTarget: link)
    }

    /// GET /containers/{id}/archive: a tar of `path` (its last element as the top entry),
    /// written to a temp file the caller sends and deletes.
    public func exportPath(_ ref: String, _ path: String) async throws -> (PathStat, String) {
        let tmp = paths.tmp
        return try await onContainer(ref) { [self] in
            try withHostPath(ref, path, followFinal: false) { host, _ in
                let st = try Self.stat(host: host, path)
                let base = Self.baseName(host)
                let parent = String(host.dropLast(base.count))
                guard base != "/" else { throw BerthError.invalid("cannot archive \(path)") }
                try FileOps.makeDirs(tmp, mode: 0o700)
                let out = tmp + "/cp-" + Identifier.random().prefix(16) + ".tar"
                // GNU tar archives symlinks as links and never follows them out of the tree;
                // the top entry takes the name the caller asked for.
                let wanted = Self.baseName(path) == "/" ? "." : Self.baseName(path)
                // tar enters the parent through a descriptor opened without following any
                // symlink out of the root: a container that swaps a directory for a symlink
                // after the path was resolved cannot make tar read the host.
                let r = try InRoot(parent).withDirectory(".") { dir in
                    var args = ["-C", dir, "-cf", out, "--numeric-owner"]
                    if wanted != base { args += ["--transform", TarTransform.rename(base, wanted)] }
                    args.append(base)
                    return try Spawn.run("/bin/tar", args)
                }
                guard r.status == 0 else {
                    unlink(out)
                    throw BerthError.internal("cannot archive \(path): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
                }
                return (st, out)
            }
        }
    }

    /// PUT /containers/{id}/archive: unpacks a tar into the directory `path`, with the same
    /// refusals as image layers (nothing lands outside it, nothing goes through a symlink).
    public func importArchive(_ ref: String, _ path: String, tarFile: String) async throws {
        try await onContainer(ref) { [self] in
            try withHostPath(ref, path, followFinal: true) { dir, readOnly in
                var st = Glibc.stat()
                guard lstat(dir, &st) == 0 else {
                    throw BerthError.notFound("Could not find the file \(path) in container")
                }
                guard (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw BerthError.invalid("extraction point is not a directory")
                }
                if readOnly { throw BerthError.conflict("container rootfs is marked read-only") }
                try LayerUnpacker(whiteouts: false).unpack(tarFile, into: dir)
            }
        }
    }
}

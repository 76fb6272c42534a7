import BerthBuild
import BerthCore
import BerthImage
import BerthRuntime
import BerthStore
import Foundation

extension Builder {
    /// COPY/ADD: sources from the context (or `--from` a stage or image) into the image, as a
    /// new layer; the cache key is the checksum of what is copied.
    func copyStep(_ ins: Instruction) async throws {
        let kw = ins.keyword
        let isAdd = kw == "ADD"
        for f in ins.flags.keys where !["from", "chown", "chmod", "link"].contains(f) {
            throw BerthError.invalid("Unknown flag: \(f)")
        }
        let env = expansionEnv
        var words = try ins.json.map { try $0.map { try expander.expand($0, env) } } ?? expander.words(ins.args).map { try expander.expand($0, env) }
        guard words.count >= 2 else {
            throw BerthError.invalid("\(kw) requires at least two arguments, but only one was provided. Destination could not be determined.")
        }
        var dest = words.removeLast()
        let endsWithSlash = dest.hasSuffix("/") || dest == "." || dest.hasSuffix("/.")
        if !dest.hasPrefix("/") { dest = (state.config.WorkingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/") + "/" + dest }
        dest = ContainerPath.clean(dest)
        let mode = try ins.flags["chmod"].map { m -> mode_t in
            guard let v = mode_t(m, radix: 8), v <= 0o7777 else { throw BerthError.invalid("invalid chmod parameter: \(m)") }
            return v
        }
        var srcRoot = context
        var mounts: [String] = []
        defer { for m in mounts { Mounts.unmountAll(m) } }
        if let from = ins.flags["from"] {
            let image = try await sourceImage(try expander.expand(from, metaArgs.merging(env) { _, n in n }))
            let w = work + "/from-\(step)"
            srcRoot = try mountImage(image, at: w)
            mounts.append(srcRoot)
        }
        var sources: [(path: String, name: String)] = []
        for s in words {
            if isAdd && (s.hasPrefix("http://") || s.hasPrefix("https://")) {
                throw BerthError.invalid("ADD from a URL (\(s)) is not supported by berth: download it in a RUN step or into the context")
            }
            sources += try resolveSources(s, root: srcRoot, fromContext: ins.flags["from"] == nil, kw: kw)
        }
        if sources.isEmpty { throw BerthError.invalid("\(kw) failed: no source files were specified") }
        if (words.count > 1 || sources.count > 1) && !endsWithSlash {
            throw BerthError.invalid("When using \(kw) with more than one source file, the destination must be a directory and end with a /")
        }
        let sum = try SourceChecksum.of(sources)
        let createdBy = "/bin/sh -c #(nop) \(kw) \(sources.count == 1 ? "file" : "multi"):\(sum.dropFirst(7)) in \(dest) "
        let owner = ins.flags["chown"] ?? ""
        let key = cacheKey("copy", createdBy + "\nchown=\(owner)\nchmod=\(ins.flags["chmod"] ?? "")\nadd=\(isAdd)")
        let parent = state.imageID, hasLayers = state.hasLayers, config = state.config
        let extract = isAdd && ins.flags["from"] == nil
        try await step(key: key) {
            let w = work + "/step-\(step)"
            let upper = w + "/upper"
            try FileOps.makeDirs(upper, mode: 0o755)
            var root = upper
            var lowers: [String] = []
            if let parent, hasLayers {
                lowers = try layerDirs(parent)
                root = w + "/root"
                for d in [w + "/work", root] { try FileOps.makeDirs(d, mode: 0o700) }
                try Mounts.overlay(lowers: lowers, upper: upper, work: w + "/work", target: root)
            }
            do {
                let inRoot = InRoot(root)
                let (uid, gid) = try Self.owner(owner, root: inRoot)
                let copier = TreeCopy(uid: uid, gid: gid, mode: mode)
                for s in sources {
                    try place(s.path, name: s.name, dest: dest, destIsDir: endsWithSlash, root: inRoot, copier: copier, extract: extract)
                }
            } catch {
                if root != upper { Mounts.unmountAll(root) }
                throw error
            }
            if root != upper { Mounts.unmountAll(root) }
            return try await images.makeImage(
                NewImage(
                    parent: parent, config: config, createdBy: createdBy, upper: upper, lowers: lowers, excluded: [],
                    created: createdTime, clampSeconds: epoch))
        }
    }

    /// One source into the destination: a directory's contents, an archive ADD unpacks, a file.
    private func place(_ s: String, name base: String, dest: String, destIsDir: Bool, root: InRoot, copier: TreeCopy, extract: Bool) throws {
        var st = stat()
        guard lstat(s, &st) == 0 else { throw BerthError.posix("stat \(s)") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            return try copier.copy(s, into: root, destDir: dest, name: nil)
        }
        if extract && (st.st_mode & S_IFMT) == S_IFREG && Self.isArchive(s) {
            try root.makeDirectories(dest)
            // The step's own root (no container runs in it): its resolved path is stable.
            let dir = try PathSafety.resolveInRoot(root.root, dest, followFinal: true)
            _ = try LayerUnpacker(whiteouts: false).unpack(s, into: dir)
            return
        }
        let existingDir = (try? root.withDirectory(dest) { _ in true }) ?? false
        if destIsDir || existingDir {
            try copier.copy(s, into: root, destDir: dest, name: base)
        } else {
            let parent = (dest as NSString).deletingLastPathComponent
            try copier.copy(s, into: root, destDir: parent.isEmpty ? "/" : parent, name: (dest as NSString).lastPathComponent)
        }
    }

    /// A source path (or glob) resolved inside `root`, symlinks followed only inside it, with
    /// the name it is copied under (its own, not its symlink target's).
    private func resolveSources(_ s: String, root: String, fromContext: Bool, kw: String) throws -> [(path: String, name: String)] {
        let pattern = DockerIgnore.clean(s)
        if pattern.contains(where: { "*?[".contains($0) }) {
            let glob: GlobPattern
            do { glob = try GlobPattern(pattern) } catch { throw BerthError.invalid("\(kw) failed: syntax error in pattern \"\(pattern)\"") }
            var out: [(path: String, name: String)] = []
            let e = FileManager.default.enumerator(atPath: root)
            while let rel = e?.nextObject() as? String {
                if glob.matches(rel) {
                    out.append((root + "/" + rel, (rel as NSString).lastPathComponent))
                    e?.skipDescendants()
                }
            }
            return out.sorted { $0.path < $1.path }
        }
        let path = try PathSafety.resolveInRoot(root, s, followFinal: true)
        var st = stat()
        guard lstat(path, &st) == 0 else {
            let where_ = fromContext ? "build context or excluded by .dockerignore" : "the source image"
            throw BerthError.invalid("\(kw) failed: file not found in \(where_): stat \(pattern.isEmpty ? "." : pattern): file does not exist")
        }
        return [(path, (pattern as NSString).lastPathComponent)]
    }

    /// `--from`: a stage by name or index, else an image (pulled when missing).
    private func sourceImage(_ from: String) async throws -> String {
        if let i = stageNames[from.lowercased()] ?? Int(from), let id = stageImages[i] { return id }
        if Int(from) != nil { throw BerthError.invalid("invalid from flag value \(from): stage \(from) is not built yet") }
        return try await baseImage(from)
    }

    func layerDirs(_ image: String) throws -> [String] {
        try images.store.layerDirs(imageID: image, paths: paths)
    }

    /// Mounts an image's filesystem (with a throwaway upper dir) at `w/root`; returns the root.
    private func mountImage(_ image: String, at w: String) throws -> String {
        let lowers = try layerDirs(image)
        let root = w + "/root"
        for d in [w + "/upper", w + "/work", root] { try FileOps.makeDirs(d, mode: 0o700) }
        if !lowers.isEmpty { try Mounts.overlay(lowers: lowers, upper: w + "/upper", work: w + "/work", target: root) }
        return root
    }

    /// `--chown=user[:group]`, names looked up in the image's /etc/passwd and /etc/group.
    static func owner(_ spec: String, root: InRoot) throws -> (uid_t, gid_t) {
        guard !spec.isEmpty else { return (0, 0) }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        func lookup(_ name: String, file: String) throws -> UInt32 {
            if let n = UInt32(name) ?? HostFiles.id(of: name, in: file, root: root) { return n }
            throw BerthError.invalid("unable to convert uid/gid chown string to host mapping: no such \(file == "/etc/passwd" ? "user" : "group") \"\(name)\"")
        }
        let uid = try lookup(parts[0], file: "/etc/passwd")
        let gid = parts.count > 1 ? try lookup(parts[1], file: "/etc/group") : uid
        return (uid, gid)
    }

    /// A tar, plain or compressed, that ADD unpacks.
    static func isArchive(_ path: String) -> Bool {
        if Compression.sniff(path: path) != .none { return true }
        guard let fh = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? fh.close() }
        let head = fh.readData(ofLength: 262)
        return head.count >= 262 && head[257..<262] == Data("ustar".utf8)
    }
}

import BerthCore
import CArchive
import Foundation

/// One image found in an archive, its files still in the staging folder.
public struct StagedImage: Sendable {
    public struct Layer: Sendable {
        /// The layer file inside the staging folder.
        public var path: String
        public var mediaType: String
        /// The digest the archive claims for the file (OCI layout), checked on ingest.
        public var expectedDigest: Digest?
    }
    public var configData: Data
    public var config: ImageConfig
    public var id: Digest
    public var layers: [Layer]
    public var names: [Reference]
    public var manifestDigest: Digest?
}

/// Reads image archives: docker-archive (`docker save`, `skopeo … docker-archive:`) and
/// OCI image layout tarballs.
public enum ImageArchive {
    /// Extracts the archive's files under `staging` (refusing names that leave it) and reads
    /// the images it holds.
    public static func read(_ archivePath: String, staging: String) throws -> [StagedImage] {
        let links = try extract(archivePath, into: staging)
        let fs = StagedFiles(root: staging, links: links)
        if fs.exists("manifest.json") {
            return try readDockerArchive(fs)
        }
        if fs.exists("index.json") {
            return try readOCILayout(fs)
        }
        throw BerthError.corrupt("not an image archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found")
    }

    /// Extracts regular files and folders; symlinks are remembered (and resolved inside the
    /// staging folder later), never created.
    static func extract(_ archivePath: String, into dir: String) throws -> [String: String] {
        var st = stat()
        if stat(archivePath, &st) == 0 && st.st_size == 0 { throw BerthError.corrupt("empty archive: no image to load") }
        let reader = try ArchiveReader(path: archivePath)
        var links: [String: String] = [:]
        var count = 0
        while let entry = try reader.next() {
            count += 1
            guard let name = Entry.path(entry) else { throw BerthError.corrupt("archive entry without a name") }
            let parts = try PathSafety.components(of: name)
            guard !parts.isEmpty else { continue }
            let rel = parts.joined(separator: "/")
            let full = dir + "/" + rel
            switch Entry.fileType(entry) {
            case S_IFDIR:
                try FileOps.makeDirs(full)
            case S_IFREG:
                if let hl = Entry.hardlink(entry) {
                    let target = try PathSafety.components(of: hl, entry: name).joined(separator: "/")
                    links[rel] = target
                    continue
                }
                try FileOps.makeDirs((full as NSString).deletingLastPathComponent)
                // A name given twice: the later entry wins, as tar has it.
                var st = stat()
                if lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { unlink(full) }
                let fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
                guard fd >= 0 else {
                    throw BerthError.corrupt("archive entry \"\(name)\": \(String(cString: strerror(errno)))")
                }
                defer { close(fd) }
                try reader.readData { try FileOps.writeAll(fd, $0, what: full) }
            case S_IFLNK:
                guard let target = Entry.symlink(entry) else { continue }
                // Resolve relative to the link's folder; refuse what leaves the archive.
                let base = parts.dropLast().joined(separator: "/")
                let joined = target.hasPrefix("/") ? target : (base.isEmpty ? target : base + "/" + target)
                links[rel] = try normalize(joined, entry: name)
            default:
                continue
            }
        }
        if count == 0 { throw BerthError.corrupt("empty archive") }
        return links
    }

    static func normalize(_ path: String, entry: String) throws -> String {
        if path.hasPrefix("/") { throw BerthError.corrupt("archive entry \"\(entry)\" links to an absolute path") }
        var out: [Substring] = []
        for p in path.split(separator: "/") {
            if p == "." { continue }
            if p == ".." {
                guard !out.isEmpty else {
                    throw BerthError.corrupt("archive entry \"\(entry)\" links outside the archive")
                }
                out.removeLast()
            } else {
                out.append(p)
            }
        }
        return out.joined(separator: "/")
    }

    // MARK: docker-archive

    static func readDockerArchive(_ fs: StagedFiles) throws -> [StagedImage] {
        let entries = try JSONCoding.decode(
            [DockerArchiveManifestEntry].self,
            from: try fs.data("manifest.json"), what: "manifest.json")
        guard !entries.isEmpty else { throw BerthError.corrupt("manifest.json lists no images") }
        return try entries.map { e in
            let configData = try fs.data(e.Config)
            let config = try JSONCoding.decode(ImageConfig.self, from: configData, what: "image config \(e.Config)")
            guard config.rootfs.diff_ids.count == e.Layers.count else {
                throw BerthError.corrupt("image config lists \(config.rootfs.diff_ids.count) layers, manifest.json \(e.Layers.count)")
            }
            let layers = try e.Layers.map { l in
                StagedImage.Layer(path: try fs.path(l), mediaType: MediaType.dockerLayer, expectedDigest: nil)
            }
            let names = try (e.RepoTags ?? []).map { try Reference.parseTagged($0) }
            return StagedImage(
                configData: configData, config: config, id: Digest.of(configData),
                layers: layers, names: names, manifestDigest: nil)
        }
    }

    // MARK: OCI layout

    static func readOCILayout(_ fs: StagedFiles) throws -> [StagedImage] {
        let index = try JSONCoding.decode(Index.self, from: try fs.data("index.json"), what: "index.json")
        var out: [StagedImage] = []
        for desc in index.manifests {
            var names: [Reference] = []
            if let n = desc.annotations?["io.containerd.image.name"], let r = try? Reference.parseTagged(n) {
                names.append(r)
            } else if let n = desc.annotations?["org.opencontainers.image.ref.name"],
                n.contains(":") || n.contains("/"), let r = try? Reference.parseTagged(n)
            {
                names.append(r)
            }
            let manifestDesc = try pickManifest(desc, fs: fs)
            let mdata = try fs.blob(manifestDesc.digest)
            guard Digest.of(mdata) == manifestDesc.digest else {
                throw BerthError.corrupt("manifest \(manifestDesc.digest) does not match its digest")
            }
            let manifest = try JSONCoding.decode(Manifest.self, from: mdata, what: "manifest \(manifestDesc.digest)")
            let configData = try fs.blob(manifest.config.digest)
            guard Digest.of(configData) == manifest.config.digest else {
                throw BerthError.corrupt("image config \(manifest.config.digest) does not match its digest")
            }
            let config = try JSONCoding.decode(ImageConfig.self, from: configData, what: "image config")
            guard config.rootfs.diff_ids.count == manifest.layers.count else {
                throw BerthError.corrupt("image config lists \(config.rootfs.diff_ids.count) layers, the manifest \(manifest.layers.count)")
            }
            let layers = try manifest.layers.map { l in
                StagedImage.Layer(
                    path: try fs.path("blobs/sha256/" + l.digest.hex), mediaType: l.mediaType,
                    expectedDigest: l.digest)
            }
            if let i = out.firstIndex(where: { $0.id == manifest.config.digest }) {
                out[i].names.append(contentsOf: names)
            } else {
                out.append(
                    StagedImage(
                        configData: configData, config: config, id: manifest.config.digest,
                        layers: layers, names: names, manifestDigest: manifestDesc.digest))
            }
        }
        guard !out.isEmpty else { throw BerthError.corrupt("index.json lists no images") }
        return out
    }

    /// Follows nested indexes to the manifest for this host's platform.
    static func pickManifest(_ desc: Descriptor, fs: StagedFiles, depth: Int = 0) throws -> Descriptor {
        guard desc.mediaType == MediaType.ociIndex || desc.mediaType == MediaType.dockerManifestList else {
            return desc
        }
        guard depth < 4 else { throw BerthError.corrupt("image indexes nested too deep") }
        let data = try fs.blob(desc.digest)
        guard Digest.of(data) == desc.digest else { throw BerthError.corrupt("index \(desc.digest) does not match its digest") }
        let idx = try JSONCoding.decode(Index.self, from: data, what: "index \(desc.digest)")
        let arch = ImageConfig.hostArchitecture
        guard
            let m = idx.manifests.first(where: { $0.platform?.architecture == arch && $0.platform?.os == "linux" })
                ?? idx.manifests.first(where: { $0.platform == nil })
        else {
            throw BerthError.notFound("no image for linux/\(arch) in index \(desc.digest)")
        }
        return try pickManifest(m, fs: fs, depth: depth + 1)
    }
}

/// Files of an extracted archive, following the archive's own links.
struct StagedFiles {
    let root: String
    let links: [String: String]

    func resolve(_ name: String) throws -> String {
        var rel = try PathSafety.components(of: name).joined(separator: "/")
        var hops = 0
        while let t = links[rel] {
            rel = t
            hops += 1
            if hops > 16 { throw BerthError.corrupt("archive link loop at \"\(name)\"") }
        }
        return rel
    }

    func exists(_ name: String) -> Bool {
        guard let rel = try? resolve(name) else { return false }
        var st = stat()
        return lstat(root + "/" + rel, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    func path(_ name: String) throws -> String {
        let rel = try resolve(name)
        var st = stat()
        guard lstat(root + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw BerthError.corrupt("archive is missing \"\(name)\"")
        }
        return root + "/" + rel
    }

    func data(_ name: String) throws -> Data {
        let p = try path(name)
        guard let d = FileManager.default.contents(atPath: p) else { throw BerthError.corrupt("cannot read \"\(name)\"") }
        return d
    }

    func blob(_ d: Digest) throws -> Data { try data("blobs/sha256/" + d.hex) }
}

import BerthBuild
import BerthCore
import BerthImage
import Foundation

extension Builder {
    /// Unpacks the context (with the same refusals as image layers: nothing outside it, nothing
    /// through a symlink), reads the Dockerfile, drops what `.dockerignore` excludes. Returns the
    /// Dockerfile's text and the context's digest and size.
    func prepareContext() throws -> (String, String, Int64) {
        context = work + "/context"
        try FileOps.makeDirs(context, mode: 0o755)
        var digest = "", size: Int64 = 0
        if let archive = request.contextArchive {
            let (d, n) = try Digest.ofFile(archive)
            (digest, size) = (d.string, n)
            if n > 0 {
                do {
                    try LayerUnpacker(whiteouts: false).unpack(archive, into: context)
                } catch let e as BerthError {
                    throw BerthError.invalid("invalid build context: \(e.message)")
                }
            }
        }
        let text: String
        if let given = request.dockerfileText {
            text = given
        } else {
            let name = request.dockerfile.isEmpty ? "Dockerfile" : request.dockerfile
            let path = try PathSafety.resolveInRoot(context, name, followFinal: true)
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, let data = FileManager.default.contents(atPath: path) else {
                throw BerthError.invalid("Cannot locate specified Dockerfile: \(name)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        if let ignore = FileManager.default.contents(atPath: context + "/.dockerignore") {
            let rules = try DockerIgnore(String(decoding: ignore, as: UTF8.self))
            if !rules.isEmpty { try Self.applyIgnore(rules, root: context, dir: "") }
        }
        return (text, digest, size)
    }

    /// Removes what the rules exclude below `dir` (relative); a directory is entered even when
    /// excluded, since a later `!` pattern may take something inside it back.
    static func applyIgnore(_ rules: DockerIgnore, root: String, dir: String) throws {
        let full = dir.isEmpty ? root : root + "/" + dir
        for name in try FileManager.default.contentsOfDirectory(atPath: full) {
            let rel = dir.isEmpty ? name : dir + "/" + name
            var st = stat()
            guard lstat(root + "/" + rel, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try applyIgnore(rules, root: root, dir: rel)
                if rules.excludes(rel), (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + rel))?.isEmpty ?? false {
                    rmdir(root + "/" + rel)
                }
            } else if rules.excludes(rel) {
                unlink(root + "/" + rel)
            }
        }
    }
}

import BerthCore
import Foundation

/// The tar `berth build` sends: a directory archived as is (berthd applies `.dockerignore`),
/// a tar or a lone Dockerfile from stdin; a Dockerfile outside the context (or `-f -`) is
/// appended under a hidden name, as the docker CLI does.
struct BuildContext {
    var tar: String
    var size: Int64
    /// The Dockerfile's name inside the context, when not the default.
    var dockerfile: String?
    let dir: String

    func cleanup() { FileOps.removeTree(dir) }

    static func make(context: String, dockerfile: String?) throws -> BuildContext {
        let dir = try FileOps.makeTempDir(in: NSTemporaryDirectory(), prefix: "berth-build")
        do {
            var ctx = BuildContext(tar: dir + "/context.tar", size: 0, dockerfile: nil, dir: dir)
            let stdinText = try (context == "-" || dockerfile == "-") ? readStdin() : nil
            if context == "-" {
                let data = stdinText ?? Data()
                if isTar(data) {
                    try data.write(to: URL(fileURLWithPath: ctx.tar))
                    ctx.dockerfile = dockerfile
                } else {
                    // A Dockerfile alone: a context holding only it.
                    try FileOps.makeDirs(dir + "/ctx")
                    try data.write(to: URL(fileURLWithPath: dir + "/ctx/Dockerfile"))
                    try tar(["-C", dir + "/ctx", "-cf", ctx.tar, "--numeric-owner", "."])
                }
            } else {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: context, isDirectory: &isDir), isDir.boolValue else {
                    throw CLIError(message: "unable to prepare context: path \"\(context)\" not found")
                }
                try tar(["-C", context, "-cf", ctx.tar, "--numeric-owner", "."])
                if let given = dockerfile {
                    let root = URL(fileURLWithPath: context).standardizedFileURL.resolvingSymlinksInPath().path
                    // A relative -f names a file from here, else (as the docker CLI falls back) in the context.
                    var f = given
                    if f != "-" && !f.hasPrefix("/") && !FileManager.default.fileExists(atPath: f) {
                        f = root + "/" + f
                        guard FileManager.default.fileExists(atPath: f) else {
                            throw CLIError(message: "Cannot locate specified Dockerfile: \(given)")
                        }
                    }
                    let abs = f == "-" ? "" : URL(fileURLWithPath: f).standardizedFileURL.resolvingSymlinksInPath().path
                    if !abs.isEmpty && abs.hasPrefix(root + "/") {
                        ctx.dockerfile = String(abs.dropFirst(root.count + 1))
                    } else {
                        let name = ".dockerfile." + Identifier.random().prefix(20)
                        try FileOps.makeDirs(dir + "/extra")
                        let data: Data
                        if f == "-" {
                            data = stdinText ?? Data()
                        } else {
                            guard let d = FileManager.default.contents(atPath: f) else {
                                throw CLIError(message: "unable to prepare context: unable to read Dockerfile \(f)")
                            }
                            data = d
                        }
                        try data.write(to: URL(fileURLWithPath: dir + "/extra/" + name))
                        try tar(["-C", dir + "/extra", "-rf", ctx.tar, "--numeric-owner", name])
                        ctx.dockerfile = name
                    }
                }
            }
            var st = stat()
            stat(ctx.tar, &st)
            ctx.size = Int64(st.st_size)
            return ctx
        } catch {
            FileOps.removeTree(dir)
            throw error
        }
    }

    static func tar(_ args: [String]) throws {
        let r = try Spawn.run("/bin/tar", args)
        guard r.status == 0 else {
            throw CLIError(message: "unable to prepare context: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    static func readStdin() throws -> Data {
        FileHandle.standardInput.readDataToEndOfFile()
    }

    /// A tar (ustar magic) or a compressed stream (gzip, bzip2, xz, zstd).
    static func isTar(_ d: Data) -> Bool {
        let b = [UInt8](d.prefix(262))
        if b.starts(with: [0x1f, 0x8b]) || b.starts(with: [0x42, 0x5a, 0x68]) || b.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a])
            || b.starts(with: [0x28, 0xb5, 0x2f, 0xfd])
        {
            return true
        }
        return b.count >= 262 && Array(b[257..<262]) == Array("ustar".utf8)
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import Foundation

/// `berth cp`: files between a container and the host, as tar streams through berthd's
/// archive endpoints; unpacking on either side refuses entries that would leave the target.
struct Cp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy files/folders between a container and the local filesystem.",
        discussion: "berth cp CONTAINER:SRC_PATH DEST_PATH|-\nberth cp SRC_PATH|- CONTAINER:DEST_PATH")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Archive mode (copy all uid/gid information).") var archive = false
    @Argument(help: "SRC") var source: String
    @Argument(help: "DEST") var destination: String

    /// `name:path` unless it looks like a local path (Docker's rule).
    static func split(_ arg: String) -> (String, String)? {
        if arg.hasPrefix("/") || arg.hasPrefix(".") { return nil }
        guard let colon = arg.firstIndex(of: ":") else { return nil }
        return (String(arg[..<colon]), String(arg[arg.index(after: colon)...]))
    }

    /// Path helpers that keep trailing slashes out of the way (Foundation's trap on some).
    static func baseName(_ p: String) -> String { p.split(separator: "/").last.map(String.init) ?? "/" }
    static func dirName(_ p: String) -> String {
        var parts = p.split(separator: "/").map(String.init)
        guard !parts.isEmpty else { return "/" }
        parts.removeLast()
        if p.hasPrefix("/") { return "/" + parts.joined(separator: "/") }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    func run() async throws {
        let client = try global.client()
        switch (Self.split(source), Self.split(destination)) {
        case (let (c, p)?, nil): try await copyOut(client, container: c, path: p)
        case (nil, let (c, p)?): try await copyIn(client, container: c, path: p)
        case (_?, _?): throw CLIError(message: "copying between containers is not supported")
        case (nil, nil): throw CLIError(message: "must specify at least one container source")
        }
    }

    func stat(_ client: APIClient, _ container: String, _ path: String) async throws -> PathStat? {
        do {
            let r = try await client.send(.HEAD, client.path("/containers", container, "/archive"), query: [("path", path)])
            guard let h = r.headers["x-docker-container-path-stat"], let d = Data(base64Encoded: h) else { return nil }
            return try JSONDecoder().decode(PathStat.self, from: d)
        } catch let e as BerthError where e.code == .notFound && !e.message.hasPrefix("No such container") {
            return nil
        } catch let e as BerthError where e.code == .notFound {
            throw CLIError(message: "Error response from daemon: " + e.message)
        } catch let e as BerthError where e.code != .unavailable {
            throw CLIError(message: "Error response from daemon: " + e.message)
        }
    }

    func copyOut(_ client: APIClient, container: String, path: String) async throws {
        let route = client.path("/containers", container, "/archive")
        if destination == "-" {
            try await daemon { _ = try await client.download(route, query: [("path", path)], to: 1) }
            return
        }
        guard let src = try await stat(client, container, path) else {
            throw CLIError(message: "Error response from daemon: Could not find the file \(path) in container \(container)")
        }
        var st = Glibc.stat()
        let destExists = Glibc.lstat(destination, &st) == 0
        let destIsDir = destExists && (st.st_mode & S_IFMT) == S_IFDIR
        if destExists && !destIsDir && src.isDirectory {
            throw CLIError(message: "cannot copy a directory to a file: \(destination)")
        }
        // Into an existing folder as is; otherwise unpacked next to the destination and renamed.
        let parent = destIsDir ? destination : Self.dirName(destination)
        guard FileOps.exists(parent) else { throw CLIError(message: "destination directory \(parent) does not exist") }
        let stage = parent + "/.berth-cp-" + Identifier.random().prefix(12)
        try FileOps.makeDirs(stage, mode: 0o700)
        defer { FileOps.removeTree(stage) }
        let tarPath = stage + "/archive.tar"
        let fd = open(tarPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError(message: "cannot write \(tarPath)") }
        do {
            try await daemon { _ = try await client.download(route, query: [("path", path)], to: fd) }
            close(fd)
        } catch { close(fd); throw error }
        let unpacked = stage + "/out"
        try FileOps.makeDirs(unpacked, mode: 0o755)
        do {
            try LayerUnpacker(privileged: archive && geteuid() == 0, whiteouts: false).unpack(tarPath, into: unpacked)
        } catch {
            throw CLIError(message: "berth: " + BerthError.from(error).message)
        }
        let top = unpacked + "/" + src.name
        let target = destIsDir ? destination + "/" + src.name : destination
        var tst = Glibc.stat()
        if Glibc.lstat(target, &tst) == 0 && (tst.st_mode & S_IFMT) == S_IFDIR && src.isDirectory {
            // Docker merges a folder into an existing one.
            let r = try Spawn.run("/bin/cp", ["-a", top + "/.", target])
            guard r.status == 0 else { throw CLIError(message: "berth: " + r.stderr) }
        } else if rename(top, target) != 0 {
            throw CLIError(message: "berth: cannot place \(target): \(String(cString: strerror(errno)))")
        }
    }

    func copyIn(_ client: APIClient, container: String, path: String) async throws {
        let route = client.path("/containers", container, "/archive")
        if source == "-" {
            try await daemon { _ = try await client.send(.PUT, route, query: [("path", path)], body: .fileDescriptor(0, length: nil)) }
            return
        }
        var st = Glibc.stat()
        guard Glibc.lstat(source, &st) == 0 else {
            throw CLIError(message: "lstat \(source): no such file or directory")
        }
        let srcIsDir = (st.st_mode & S_IFMT) == S_IFDIR
        let dest = try await stat(client, container, path)
        if let dest, !dest.isDirectory, srcIsDir {
            throw CLIError(message: "cannot copy a directory to a file: \(path)")
        }
        let srcParent = Self.dirName(source)
        let srcBase = Self.baseName(source)
        var args = ["-C", srcParent, "-cf", "-", "--numeric-owner"]
        let into: String
        if let dest, dest.isDirectory {
            into = path
        } else {
            // A new name (or a file replaced): the top entry is renamed to it.
            let newName = Self.baseName(path)
            into = Self.dirName(path.hasPrefix("/") ? path : "/" + path)
            if newName != srcBase {
                args += ["--transform", TarTransform.rename(srcBase, newName)]
            }
        }
        args.append(srcBase)
        // tar writes into a pipe that the request streams from.
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw CLIError(message: "pipe failed") }
        let pid = try Spawn.start("/bin/tar", args, fds: [1: pipe[1]])
        close(pipe[1])
        defer { close(pipe[0]) }
        do {
            try await daemon { _ = try await client.send(.PUT, route, query: [("path", into)], body: .fileDescriptor(pipe[0], length: nil)) }
        } catch {
            kill(pid, SIGKILL)
            Spawn.wait(pid)
            throw error
        }
        let status = Spawn.wait(pid)
        if status != 0 { throw CLIError(message: "tar of \(source) failed (status \(status))") }
    }
}

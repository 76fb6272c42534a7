import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth load`.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load images from a docker-archive or OCI layout tarball.")
    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Read from a tar archive file, instead of STDIN.")
    var input: String?

    @Flag(name: .shortAndLong, help: "Suppress the load output.")
    var quiet = false

    func run() async throws {
        let client = try global.client()
        let (fd, length) = try openInput(input)
        defer { if fd != 0 { close(fd) } }
        let r = try await daemon {
            try await client.send(
                .POST, "/images/load", query: [("quiet", quiet ? "1" : "0")],
                body: .fileDescriptor(fd, length: length))
        }
        for line in r.body.split(separator: 0x0a) {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            if let err = obj["error"] as? String { throw CLIError(message: err) }
            if !quiet, let s = obj["stream"] as? String { Out.write(s) }
        }
    }
}

/// Opens `path` (or stdin when nil or `-`), refusing a terminal as Docker does.
func openInput(_ path: String?) throws -> (Int32, Int64?) {
    if let path, path != "-" {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError(message: "open \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        fstat(fd, &st)
        guard (st.st_mode & S_IFMT) == S_IFREG else { close(fd); throw CLIError(message: "\(path) is not a file") }
        return (fd, Int64(st.st_size))
    }
    if isatty(0) != 0 {
        throw CLIError(message: "requested load from stdin, but stdin is empty")
    }
    return (0, nil)
}

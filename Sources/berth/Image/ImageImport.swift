import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth import`.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import the contents from a tarball to create a filesystem image.")
    @OptionGroup var global: GlobalOptions

    @Option(
        name: .shortAndLong,
        help: "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).")
    var change: [String] = []

    @Option(name: .shortAndLong, help: "Set commit message for imported image.")
    var message: String?

    @Option(name: .long, help: "Set platform if server is multi-platform capable.")
    var platform: String?

    @Argument(help: "file|- (a tarball, plain or compressed)")
    var file: String

    @Argument(help: "REPOSITORY[:TAG]")
    var reference: String?

    func run() async throws {
        if file.hasPrefix("http://") || file.hasPrefix("https://") {
            throw CLIError(message: "importing from a URL is not supported: download the file and import it")
        }
        var query: [(String, String)] = [("fromSrc", "-")]
        if let reference {
            let ref = try Reference.parse(reference)
            if ref.digest != nil { throw CLIError(message: "invalid reference: a digest is not allowed in an import reference") }
            query.append(("repo", ref.familiarName))
            if let tag = ref.tag { query.append(("tag", tag)) }
        }
        for c in change { query.append(("changes", c)) }
        if let message { query.append(("message", message)) }
        let client = try global.client()
        let (fd, length) = try openInput(file)
        defer { if fd != 0 { close(fd) } }
        let r = try await daemon {
            try await client.send(.POST, "/images/create", query: query, body: .fileDescriptor(fd, length: length))
        }
        for line in r.body.split(separator: 0x0a) {
            if let obj = try? JSONDecoder().decode([String: String].self, from: Data(line)), let s = obj["status"] {
                Out.print(s)
            }
        }
    }
}

import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth build`: sends the context as a tar to POST /build and prints the classic builder's
/// stream as it comes.
struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build an image from a Dockerfile.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Name and optionally a tag in the 'name:tag' format.") var tag: [String] = []
    @Option(name: .shortAndLong, help: "Name of the Dockerfile (default: 'PATH/Dockerfile'; '-' reads stdin).") var file: String?
    @Option(name: .customLong("build-arg"), help: "Set build-time variables.") var buildArg: [String] = []
    @Option(name: .long, help: "Set metadata for an image.") var label: [String] = []
    @Option(name: .long, help: "Set the target build stage to build.") var target: String?
    @Option(name: .long, help: "Write the image ID to the file.") var iidfile: String?
    @Option(name: .long, help: "Set the networking mode for the RUN instructions during build.") var network: String?
    @Option(name: .long, help: "Set platform (berth builds for this host's).") var platform: String?
    @Flag(name: .customLong("no-cache"), help: "Do not use cache when building the image.") var noCache = false
    @Flag(name: .long, help: "Always attempt to pull a newer version of the image.") var pull = false
    @Flag(name: .shortAndLong, help: "Suppress the build output and print image ID on success.") var quiet = false
    @Option(name: .long, help: "Remove intermediate containers after a successful build (always true).") var rm: Bool = true
    @Flag(name: .customLong("force-rm"), help: "Always remove intermediate containers (always true).") var forceRm = false
    @Argument(help: "PATH | -") var context: String

    func run() async throws {
        let ctx = try BuildContext.make(context: context, dockerfile: file)
        defer { ctx.cleanup() }
        var query: [(String, String)] = tag.map { ("t", $0) }
        if let name = ctx.dockerfile { query.append(("dockerfile", name)) }
        var args: [String: String?] = [:]
        for a in buildArg {
            if let eq = a.firstIndex(of: "=") {
                args[String(a[..<eq])] = String(a[a.index(after: eq)...])
            } else {
                // `--build-arg NAME`: the value comes from this environment, or none.
                args[a] = ProcessInfo.processInfo.environment[a]
            }
        }
        if !args.isEmpty { query.append(("buildargs", String(decoding: try JSONEncoder().encode(args), as: UTF8.self))) }
        var labels: [String: String] = [:]
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            labels[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        if !labels.isEmpty { query.append(("labels", String(decoding: try JSONEncoder().encode(labels), as: UTF8.self))) }
        if let target { query.append(("target", target)) }
        if let network { query.append(("networkmode", network)) }
        if let platform { query.append(("platform", platform)) }
        if noCache { query.append(("nocache", "1")) }
        if pull { query.append(("pull", "1")) }
        if quiet { query.append(("q", "1")) }
        query.append(("rm", "1"))
        if !quiet { Out.print("Sending build context to berthd  \(Human.size(ctx.size, precision: 4))") }
        let client = try global.client()
        let fd = open(ctx.tar, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError(message: "cannot read the build context: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var id: String?
        var failure: String?
        try await daemon {
            let pending = try client.begin(
                .POST, "/build", query: query, body: .fileDescriptor(fd, length: ctx.size),
                headers: [("Content-Type", "application/x-tar")])
            var buffer = Data()
            try pending.stream { chunk in
                buffer.append(contentsOf: chunk)
                while let nl = buffer.firstIndex(of: 0x0a) {
                    let line = buffer[buffer.startIndex..<nl]
                    buffer = Data(buffer[(nl + 1)...])
                    Self.message(line, id: &id, failure: &failure, quiet: quiet)
                }
            }
            if !buffer.isEmpty { Self.message(buffer, id: &id, failure: &failure, quiet: quiet) }
        }
        if let failure { throw CLIError(message: failure, code: 1) }
        guard let id else { throw CLIError(message: "the build ended without an image") }
        if let iidfile { try FileOps.writeAtomically(Data(id.utf8), to: iidfile, durable: false) }
    }

    /// One JSON line of the stream: text printed, the image id kept, an error remembered.
    static func message(_ line: Data, id: inout String?, failure: inout String?, quiet: Bool) {
        guard let msg = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return }
        if let err = msg["error"] as? String {
            failure = err
            return
        }
        if let aux = msg["aux"] as? [String: Any], let i = aux["ID"] as? String { id = i }
        if let s = msg["stream"] as? String {
            if quiet {
                let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
                if t.hasPrefix("sha256:") { id = t; Out.print(t) }
            } else {
                Out.write(s)
            }
        }
    }
}

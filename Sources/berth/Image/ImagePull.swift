import ArgumentParser
import BerthAPI
import BerthCore
import BerthImage
import Foundation

/// `berth pull`.
struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Download an image from a registry.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Suppress verbose output.") var quiet = false
    @Option(name: .long, help: "Set platform if server is multi-platform capable (os/arch[/variant]).") var platform: String?
    @Flag(name: [.customShort("a"), .customLong("all-tags")], help: "Download all tagged images in the repository.") var allTags = false
    @Argument(help: "NAME[:TAG|@DIGEST]") var name: String

    func run() async throws {
        if allTags, let ref = try? Reference.parse(name), ref.tag != nil || ref.digest != nil {
            throw CLIError(message: "tag can't be used with --all-tags/-a", code: 1)
        }
        let client = try global.client()
        try await daemon { try await Self.pull(client, name, quiet: quiet, platform: platform, allTags: allTags, to: Out.print) }
    }

    /// POST /images/create?fromImage=…, its messages printed as the docker CLI prints them
    /// (`latest: Pulling from library/busybox`, `abc…: Pull complete`, `Digest: …`, `Status: …`),
    /// then the full name.
    /// `printName`: the closing full name (`docker pull` prints it; `docker run`'s pull does not).
    static func pull(
        _ client: APIClient, _ name: String, quiet: Bool, printName: Bool = true, platform: String? = nil, allTags: Bool = false,
        to write: (String) -> Void
    ) async throws {
        // An empty tag asks for every tag, as the docker CLI's `pull -a` asks.
        var query = [("fromImage", name)] + (allTags ? [("tag", "")] : [])
        if let platform { query.append(("platform", platform)) }
        let pending = try client.begin(.POST, "/images/create", query: query, headers: DockerConfig.header(for: name))
        if pending.status >= 400 { _ = try pending.body() }
        var final = name
        var buffer = Data()
        var failure: (any Error)?
        // Lines are printed as they arrive: a big layer's progress shows while it downloads.
        try pending.stream { chunk in
            buffer.append(contentsOf: chunk)
            while failure == nil, let nl = buffer.firstIndex(of: 0x0a) {
                let line = Data(buffer[buffer.startIndex...nl])
                buffer = Data(buffer[(nl + 1)...])
                do {
                    for (status, id) in try progressMessages(line) {
                        if !quiet { write(id.map { "\($0): \(status)" } ?? status) }
                        if status.hasPrefix("Status: "), let r = status.range(of: " for ") { final = String(status[r.upperBound...]) }
                    }
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        if printName { write((try? Reference.parse(final))?.description ?? final) }
    }
}

/// The JSON messages of a pull or push (`{"status": …, "id": …}` per line); a message carrying an
/// `error` ends it with that error.
func progressMessages(_ body: Data) throws -> [(status: String, id: String?)] {
    var out: [(String, String?)] = []
    for line in body.split(separator: 0x0a) {
        guard let msg = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
        if let err = msg["error"] as? String { throw BerthError.invalid(err) }
        out.append((msg["status"] as? String ?? "", msg["id"] as? String))
    }
    return out
}

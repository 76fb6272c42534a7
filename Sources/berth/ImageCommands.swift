import ArgumentParser
import BerthAPI
import BerthCore
import BerthEngine
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
            try await client.send(.POST, "/images/load", query: [("quiet", quiet ? "1" : "0")],
                                  body: .fileDescriptor(fd, length: length))
        }
        if quiet { return }
        for line in r.body.split(separator: 0x0a) {
            if let obj = try? JSONDecoder().decode([String: String].self, from: Data(line)), let s = obj["stream"] {
                Out.write(s)
            }
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

/// `berth import`.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import the contents from a tarball to create a filesystem image.")
    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).")
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

/// `berth tag`.
struct Tag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "SOURCE_IMAGE[:TAG]") var source: String
    @Argument(help: "TARGET_IMAGE[:TAG]") var target: String

    func run() async throws {
        let ref = try Reference.parse(target)
        if ref.digest != nil { throw CLIError(message: "refusing to create a tag with a digest reference") }
        var query = [("repo", ref.name)]
        if let t = ref.tag { query.append(("tag", t)) }
        let client = try global.client()
        _ = try await daemon { try await client.send(.POST, client.path("/images", source, "/tag"), query: query) }
    }
}

struct RmiOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Force removal of the image.") var force = false
    @Flag(name: .customLong("no-prune"), help: "Do not delete untagged parents.") var noPrune = false
    @Argument(help: "IMAGE") var images: [String] = []

    func run() async throws {
        guard !images.isEmpty else {
            throw CLIError(message: "\"berth rmi\" requires at least 1 argument.\nSee 'berth rmi --help'.")
        }
        let client = try global.client()
        var failed = false
        for name in images {
            do {
                var q: [(String, String)] = []
                if force { q.append(("force", "1")) }
                if noPrune { q.append(("noprune", "1")) }
                let r = try await daemon { try await client.send(.DELETE, client.path("/images", name), query: q) }
                let items = try JSONDecoder().decode([ImageDeleteItem].self, from: r.body)
                for i in items {
                    if let u = i.Untagged { Out.print("Untagged: " + u) }
                    if let d = i.Deleted { Out.print("Deleted: " + d) }
                }
            } catch let e as CLIError {
                Out.err(e.message)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// `berth rmi`.
struct Rmi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove one or more images.")
    @OptionGroup var options: RmiOptions
    func run() async throws { try await options.run() }
}

/// `berth image rm`.
struct ImageRm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more images.", aliases: ["remove"])
    @OptionGroup var options: RmiOptions
    func run() async throws { try await options.run() }
}

/// `berth save`.
struct Save: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save one or more images to a tar archive (docker-archive).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT.") var output: String?
    @Argument(help: "IMAGE") var images: [String] = []

    func run() async throws {
        guard !images.isEmpty else { throw CLIError(message: "\"berth save\" requires at least 1 argument.\nSee 'berth save --help'.") }
        if output == nil && isatty(1) != 0 {
            throw CLIError(message: "cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let client = try global.client()
        var fd: Int32 = 1
        var tmp: String?
        if let output {
            // Write beside the target and rename, so a failed save leaves no half file.
            tmp = output + ".berth-tmp-" + String(getpid())
            fd = open(tmp!, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CLIError(message: "failed to save image: open \(output): \(String(cString: strerror(errno)))") }
        }
        do {
            try await daemon { try await client.download("/images/get", query: images.map { ("names", $0) }, to: fd) }
            if let output, let tmp {
                fsync(fd); close(fd)
                guard rename(tmp, output) == 0 else { throw CLIError(message: "failed to save image: rename: \(String(cString: strerror(errno)))") }
            }
        } catch {
            if let tmp { close(fd); unlink(tmp) }
            throw error
        }
    }
}

struct InspectOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Format output using a Go template or json.") var format: String?
    @Argument(help: "IMAGE") var names: [String] = []

    func run(imagesOnly: Bool = false) throws {
        guard !names.isEmpty else { throw CLIError(message: "\"berth inspect\" requires at least 1 argument.") }
        let store = try global.store()
        let paths = global.paths
        var values: [JSONValue] = []
        var missing: [String] = []
        try store.read { db in
            for n in names {
                if let c = try? ContainerQueries.resolve(db, n), !imagesOnly {
                    let mounts = try ContainerQueries.mounts(db, id: c.id)
                    values.append(try PrettyJSON.value(ContainerInspect(c, mounts: mounts, containerDir: paths.containers + "/" + c.id)))
                    continue
                }
                guard let m = try ImageResolver.find(db, n), let d = try ImageQueries.detail(db, id: m.imageID) else {
                    missing.append(n)
                    continue
                }
                values.append(try PrettyJSON.value(ImageInspect(d) { paths.layerDiff(String($0.dropFirst(7))) }))
            }
        }
        if let format, format != "json" {
            let t = try GoTemplate(format)
            for v in values {
                guard case .object(let o) = v else { continue }
                var fields: [String: String] = [:], jsonFields: [String: String] = [:]
                Self.flatten(.object(o), prefix: "", into: &fields, json: &jsonFields)
                // Fields Docker's structs always have, even when empty (a Go nil pointer).
                if fields["State.Status"] != nil && fields["State.Health"] == nil {
                    fields["State.Health"] = "<nil>"
                    jsonFields["State.Health"] = "null"
                }
                var labels: [String: String] = [:]
                if case .object(let cfg)? = o["Config"], case .object(let l)? = cfg["Labels"] {
                    for (k, x) in l { if case .string(let s) = x { labels[k] = s } }
                }
                Out.print(try t.render(TemplateRow(fields: fields, labels: labels,
                                                   json: String(decoding: try JSONEncoder().encode(v), as: UTF8.self),
                                                   jsonFields: jsonFields)))
            }
        } else {
            Out.print(PrettyJSON.render(.array(values)))
        }
        if !missing.isEmpty {
            for m in missing { Out.err("Error: No such object: \(m)") }
            throw ExitCode(1)
        }
    }
}

extension InspectOptions {
    /// Every value under its dotted path (`State.Status`), printed as Go's template would
    /// print it; non-strings also as JSON for `{{json .X}}`.
    static func flatten(_ v: JSONValue, prefix: String, into fields: inout [String: String], json: inout [String: String]) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes]
        let text = String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self)
        switch v {
        case .object(let o):
            if !prefix.isEmpty { fields[prefix] = "map[" + o.keys.sorted().map { k in k + ":" + Self.goPrint(o[k]!) }.joined(separator: " ") + "]"; json[prefix] = text }
            for (k, x) in o { flatten(x, prefix: prefix.isEmpty ? k : prefix + "." + k, into: &fields, json: &json) }
        case .string(let s):
            fields[prefix] = s
        default:
            fields[prefix] = goPrint(v)
            json[prefix] = text
        }
    }

    static func goPrint(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(goPrint).joined(separator: " ") + "]"
        case .object(let o): return "map[" + o.keys.sorted().map { k in k + ":" + goPrint(o[k]!) }.joined(separator: " ") + "]"
        }
    }
}

/// `berth inspect`: containers first, then images, as Docker looks them up.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Return low-level information on berth objects.")
    @OptionGroup var options: InspectOptions
    func run() throws { try options.run() }
}

/// `berth image inspect`.
struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images.")
    @OptionGroup var options: InspectOptions
    func run() throws { try options.run(imagesOnly: true) }
}

/// `berth image prune`.
struct ImagePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images, not just dangling ones.") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (e.g. \"until=<timestamp>\", \"label=k=v\").") var filter: [String] = []

    func run() async throws {
        var filters: [String: [String: Bool]] = [:]
        for f in filter {
            guard let eq = f.firstIndex(of: "=") else { throw CLIError(message: "bad format of filter (expected name=value)") }
            filters[String(f[..<eq]), default: [:]][String(f[f.index(after: eq)...])] = true
        }
        if all { filters["dangling"] = ["false": true] }
        if !force {
            let warning = all
                ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images."
            Out.print(warning)
            guard Out.confirm("Are you sure you want to continue?") else { return }
        }
        let client = try global.client()
        let q = String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
        let r = try await daemon { try await client.send(.POST, "/images/prune", query: [("filters", q)]) }
        let report = try JSONDecoder().decode(ImagePruneReport.self, from: r.body)
        Self.printDeleted(report)
        Out.print("Total reclaimed space: " + Human.size(report.SpaceReclaimed))
    }

    /// Docker's "Deleted Images:" block (image prune, system prune).
    static func printDeleted(_ report: ImagePruneReport) {
        guard let items = report.ImagesDeleted, !items.isEmpty else { return }
        Out.print("Deleted Images:")
        for i in items {
            if let u = i.Untagged { Out.print("untagged: " + u) }
            if let d = i.Deleted { Out.print("deleted: " + d) }
        }
        Out.print("")
    }
}

/// `berth image …`.
struct ImageGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images.",
        subcommands: [ImageLs.self, ImageInspectCommand.self, Load.self, Import.self, Tag.self, ImageRm.self,
                      ImagePrune.self, Save.self])
}

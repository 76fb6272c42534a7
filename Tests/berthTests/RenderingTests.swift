import BerthAPI
import BerthCore
import BerthStore
import Testing

@testable import berth

/// The CLI's tables as users read them: Docker's headers, column alignment, `--format` rules.
@Suite struct RenderingTests {
    let now: Int64 = 1_700_000_000 * 1_000_000_000

    func listing(_ hex: Character, tags: [(String, String)], size: Int64, age: Int64, digest: String? = nil) -> ImageListing {
        ImageListing(
            id: "sha256:" + String(repeating: hex, count: 64), created: now - age, addedAt: now - age, size: size,
            tags: tags.map { ImageListing.Tag(repository: $0.0, tag: $0.1) },
            digests: digest.map { ["docker.io/library/busybox@" + $0] } ?? [], labels: ["a": "b"], containers: 0)
    }

    @Test func imagesDefaultTable() throws {
        let images = [
            listing("a", tags: [("docker.io/library/busybox", "latest"), ("localhost:5000/bb", "1")], size: 4_261_000, age: 3_600_000_000_000),
            listing("b", tags: [], size: 1_000, age: 120_000_000_000),
        ]
        let out = ImageTable.defaultTable(images, noTrunc: false, digests: false, now: now)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("REPOSITORY") && lines[0].contains("TAG") && lines[0].contains("IMAGE ID"))
        #expect(lines[1].hasPrefix("busybox ") && lines[1].contains("aaaaaaaaaaaa") && lines[1].contains("About an hour ago"))
        #expect(lines[1].hasSuffix("4.26MB"))
        #expect(lines[2].hasPrefix("localhost:5000/bb"))
        #expect(lines[3].hasPrefix("<none>") && lines[3].contains("2 minutes ago") && lines[3].hasSuffix("1kB"))
        // Columns line up: TAG starts at the same offset on every line.
        let col = lines[0].range(of: "TAG")!.lowerBound.utf16Offset(in: lines[0])
        for l in lines.dropFirst() { #expect(l.utf16.count > col && l[l.index(l.startIndex, offsetBy: col - 1)] == " ") }
    }

    @Test func formatRules() throws {
        let f = ListFormat(defaultTable: "table {{.Name}}\t{{.Driver}}", headers: ["Name": "VOLUME NAME"])
        #expect(f.resolve(nil) == f.defaultTable && f.resolve("table") == f.defaultTable)
        #expect(f.resolve("json") == "{{json .}}")
        let rows = [TemplateRow(fields: ["Name": "data", "Driver": "local"], json: #"{"Name":"data"}"#)]
        #expect(try f.render(rows, format: nil) == "VOLUME NAME   DRIVER\ndata          local\n")
        #expect(try f.render(rows, format: "{{.Name}}") == "data\n")
        #expect(try f.render(rows, format: "json") == #"{"Name":"data"}"# + "\n")
        #expect(try f.render(rows, format: "table {{.Driver}}") == "DRIVER\nlocal\n")
        #expect(throws: (any Error).self) { try f.render(rows, format: "{{.Name") }
    }

    @Test func imagesQuietAndCustomFormat() throws {
        let images = [listing("c", tags: [("docker.io/library/busybox", "latest")], size: 10, age: 1_000_000_000)]
        #expect(try ImageTable.render(images, quiet: true, noTrunc: false, digests: false, format: nil) == "cccccccccccc\n")
        let custom = try ImageTable.render(images, quiet: false, noTrunc: true, digests: false, format: "{{.Repository}}:{{.Tag}} {{.ID}}")
        #expect(custom == "busybox:latest sha256:" + String(repeating: "c", count: 64) + "\n")
    }

    @Test func psStatusColumn() {
        #expect(
            ContainerSummary.status(state: "exited", exitCode: 137, startedAt: nil, finishedAt: now - 3_000_000_000, health: nil, now: now)
                == "Exited (137) 3 seconds ago")
        #expect(Ps.defaultTable.hasPrefix("table {{.ID}}") && Ps.headers["RunningFor"] == "CREATED")
    }
}

import BerthAPI
import BerthCore
import Foundation
import Testing

@testable import BerthCompose

/// The Compose model on its own: interpolation, the port and volume syntaxes, merging of
/// several files, extends, profiles, errors with file and line, and the create request.
@Suite struct ComposeModelTests {
    func project(_ files: [String: String], env: [String: String] = [:], profiles: [String] = [], name: String? = nil) throws -> ComposeProject {
        let dir = NSTemporaryDirectory() + "compose-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = ComposeOptions()
        o.environment = env
        o.workingDirectory = dir
        o.profiles = profiles
        o.projectName = name
        for (f, text) in files.sorted(by: { $0.key < $1.key }) {
            try text.write(toFile: dir + "/" + f, atomically: true, encoding: .utf8)
            if f.hasSuffix(".yaml") && f != "compose.yaml" && !f.hasPrefix("base") { o.files.append(f) }
        }
        if !o.files.isEmpty { o.files.insert("compose.yaml", at: 0) }
        return try ComposeLoader.load(o)
    }

    @Test func interpolation() throws {
        let env = ["A": "x", "E": ""]
        #expect(try Interpolation.apply("$A ${A} $$A ${B:-d} ${E:-d} ${E-d} ${B-d} ${A:+y} ${B+y}", env, at: "f") == "x x $A d d  d y ")
        #expect(try Interpolation.apply("${B:-${A}z}", env, at: "f") == "xz")
        #expect(throws: BerthError.self) { try Interpolation.apply("${B:?needed}", env, at: "f") }
        #expect(throws: BerthError.self) { try Interpolation.apply("${A", env, at: "f") }
        #expect(throws: BerthError.self) { try Interpolation.apply("${1x}", env, at: "f") }
        let dotenv = try Interpolation.parseEnvFile("# c\nexport K=v\nQ=\"a b\"\nR=x # note\n\n", file: ".env")
        #expect(dotenv.map { "\($0.0)=\($0.1)" } == ["K=v", "Q=a b", "R=x"])
        #expect(throws: BerthError.self) { try Interpolation.parseEnvFile("nokey", file: ".env") }
    }

    @Test func portsAndVolumes() throws {
        let p = try project([
            "compose.yaml": """
                services:
                  web:
                    image: busybox
                    ports: ["80", "8080:80", "127.0.0.1:9000-9001:90-91/udp", {target: 443, published: "8443", host_ip: 127.0.0.1}]
                    volumes: ["data:/data:ro", "./site:/site", "/anon", {type: tmpfs, target: /tmp},
                              {type: bind, source: ./logs, target: /logs}, {type: bind, source: ./run, target: /run, bind: {create_host_path: true}}]
                volumes: {data: {}}
                """
        ], name: "My_App")
        #expect(p.name == "my_app")
        let s = try #require(p.service("web"))
        #expect(s.ports.map { "\($0.hostIP ?? ""):\($0.hostPort ?? ""):\($0.containerPort)/\($0.proto)" } == [
            "::80/tcp", ":8080:80/tcp", "127.0.0.1:9000:90/udp", "127.0.0.1:9001:91/udp", "127.0.0.1:8443:443/tcp",
        ])
        #expect(s.volumes.map(\.type) == ["volume", "bind", "volume", "tmpfs", "bind", "bind"])
        #expect(s.volumes[0].readOnly && s.volumes[1].source.hasSuffix("/site") && s.volumes[2].source.isEmpty)
        let r = try ComposePlan.request(p, s, number: 1)
        #expect(r.HostConfig?.Mounts?.first?.Source == "my_app_data")
        // A missing bind folder is made for the short syntax, and for the long one only when asked.
        #expect(r.HostConfig?.Mounts?.map { $0.BindOptions?.CreateMountpoint == true } == [false, true, false, false, false, true])
        #expect(r.HostConfig?.NetworkMode == "my_app_default")
        #expect(r.NetworkingConfig?.EndpointsConfig?["my_app_default"]?.Aliases == ["web"])
        #expect(r.Labels?[ComposePlan.projectLabel] == "my_app" && r.Labels?[ComposePlan.numberLabel] == "1")
        #expect(ComposePlan.containerName(p, s, 2) == "my_app-web-2")
    }

    @Test func mergeExtendsProfilesAndOrder() throws {
        let p = try project([
            "compose.yaml": """
                x-base: &base
                  image: busybox
                  environment: {A: "1"}
                services:
                  db: {<<: *base, command: "sleep 1"}
                  web:
                    extends: {service: db}
                    depends_on: {db: {condition: service_healthy}}
                    ports: ["80"]
                  tool: {image: busybox, profiles: [debug]}
                """,
            "override.yaml": """
                services:
                  web: {ports: ["81"], environment: {B: "${B:-2}"}}
                """,
        ])
        let web = try #require(p.service("web"))
        #expect(web.ports.map(\.containerPort) == ["80", "81"])  // ports append across files
        #expect(web.environment == ["A": "1", "B": "2"] && web.command == ["sleep", "1"])
        #expect(p.service("tool") == nil)
        #expect(try p.startOrder().map { $0.map(\.name) } == [["db"], ["web"]])
        #expect(try p.startOrder(["web"]).flatMap { $0 }.map(\.name) == ["db", "web"])
        let debug = try project(["compose.yaml": "services: {tool: {image: busybox, profiles: [debug]}, x: {image: busybox}}"], profiles: ["debug"])
        #expect(debug.services.map(\.name) == ["tool", "x"])
    }

    @Test func configHashFollowsTheConfig() throws {
        let a = try project(["compose.yaml": "services: {web: {image: busybox, command: [a]}}"], name: "p")
        let b = try project(["compose.yaml": "services: {web: {image: busybox, command: [b]}}"], name: "p")
        let a2 = try project(["compose.yaml": "services:\n  web:\n    command: [a]\n    image: busybox\n"], name: "p")
        let h = { (p: ComposeProject) in try ComposePlan.configHash(p, p.service("web")!) }
        #expect(try h(a) == h(a2))
        #expect(try h(a) != h(b))
    }

    @Test func errorsNameFileLineAndKey() throws {
        func message(_ text: String) -> String {
            do { _ = try project(["compose.yaml": text]); return "" } catch { return BerthError.from(error).message }
        }
        #expect(message("services:\n  web:\n    image: busybox\n    ports: [\"x:y:z:w\"]\n").contains("compose.yaml:4"))
        #expect(message("services:\n  web: {image: busybox, depends_on: [nope]}\n").contains("undefined service nope"))
        #expect(message("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n").contains("cycle"))
        #expect(message("services:\n  web: {command: x}\n").contains("neither an image nor a build"))
        #expect(message("services: [\n").contains("invalid YAML"))
        #expect(message("services:\n  web: {image: x, restart: sometimes}\n").contains("invalid policy"))
        let warned = try project(["compose.yaml": "services:\n  web: {image: x, frobnicate: 1, x-mine: 2}\n"])
        #expect(warned.warnings.count == 1 && warned.warnings[0].contains("frobnicate"))
        #expect(try ShellWords.split("sh -c 'echo \"a b\"' x\\ y", what: "c") == ["sh", "-c", "echo \"a b\"", "x y"])
    }

    /// Nested aliases standing for 10^8 values are refused at once, not expanded.
    @Test func aliasBombIsRefused() {
        let laughs = """
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""
        #expect(throws: (any Error).self) { try YamlValue.parse(laughs, file: "compose.yaml") }
    }
}

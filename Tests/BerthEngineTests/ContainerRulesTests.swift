import BerthAPI
import BerthCore
import BerthImage
import Testing

@testable import BerthEngine

@Suite struct ContainerRulesTests {
    @Test func commandRules() {
        var image = ContainerConfig()
        image.Entrypoint = ["/init"]
        image.Cmd = ["serve"]
        var req = ContainerCreateRequest()
        #expect(ContainerService.command(req, image: image) == ["/init", "serve"])
        req.Cmd = StringOrArray(["debug"])
        #expect(ContainerService.command(req, image: image) == ["/init", "debug"])
        req.Entrypoint = StringOrArray(["sh"])
        req.Cmd = nil
        // A request entrypoint drops the image's Cmd, as Docker does.
        #expect(ContainerService.command(req, image: image) == ["sh"])
        #expect(ContainerService.commandText(["sh", "-c", "echo hi"]) == "sh -c 'echo hi'")
    }

    @Test func envMerge() {
        let env = ContainerService.mergeEnv(["PATH=/bin", "A=1", "B=2"], ["A=override", "C=3"])
        #expect(env == ["PATH=/bin", "A=override", "B=2", "C=3"])
        #expect(ContainerService.mergeEnv([], ["X=1"]).first?.hasPrefix("PATH=") == true)
    }

    @Test func volumeSpecs() throws {
        let m = try MountSpecs.parse(
            binds: ["/srv:/data:ro", "named:/v", "/anon"], mounts: [],
            tmpfs: ["/t": "size=1m"], anonymous: ["/anon", "/img-vol"])
        #expect(m.map(\.type) == ["bind", "volume", "volume", "tmpfs", "volume"])
        #expect(m[0].readOnly && m[0].source == "/srv" && m[1].source == "named" && m[2].source == nil)
        #expect(m[4].destination == "/img-vol")
        for bad in ["relative:/x:ro:extra", "src:relative", "/a:/b:bogus", ":/x", "bad name:/x"] {
            #expect(throws: BerthError.self) { try MountSpecs.parse(binds: [bad], mounts: [], tmpfs: [:], anonymous: []) }
        }
    }

    @Test func namesAndSignals() throws {
        #expect(
            NameGenerator.isValid("web-1.a_b") && !NameGenerator.isValid("-x") && !NameGenerator.isValid("a b")
                && !NameGenerator.isValid("x"))
        #expect(NameGenerator.isValid(NameGenerator.make()))
        #expect(try Signals.parse("SIGTERM") == 15 && Signals.parse("kill") == 9 && Signals.parse("10") == 10)
        #expect(throws: BerthError.self) { try Signals.parse("SIGNOPE") }
    }
}

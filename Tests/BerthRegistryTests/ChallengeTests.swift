import BerthImage
import Testing

@testable import BerthRegistry

@Suite struct ChallengeTests {
    @Test func dockerHubChallenge() {
        let (scheme, p) = RegistryClient.parseChallenge(
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#)
        #expect(scheme == "bearer")
        #expect(p == ["realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull"])
    }

    @Test func unquotedAndBasic() {
        #expect(RegistryClient.parseChallenge(#"Basic realm="Registry Realm""#).params == ["realm": "Registry Realm"])
        #expect(RegistryClient.parseChallenge("Bearer realm=https://x/token, service=reg").params == ["realm": "https://x/token", "service": "reg"])
        #expect(RegistryClient.parseChallenge("Bearer").params.isEmpty)
        #expect(RegistryClient.parseChallenge(#"Bearer realm="unterminated"#).params["realm"] == "unterminated")
    }

    @Test func hostsAndPlainHTTP() throws {
        #expect(try RegistryClient.forDomain("docker.io").host == "registry-1.docker.io")
        #expect(try !RegistryClient.forDomain("ghcr.io").plainHTTP)
        #expect(try RegistryClient.forDomain("127.0.0.1:5000").plainHTTP && RegistryClient.forDomain("localhost:5000").plainHTTP)
        #expect(try RegistryClient.forDomain("reg.example:5000", insecure: ["reg.example:5000"]).plainHTTP)
    }

    @Test func platformChoice() throws {
        var p = ImagePuller(client: try .forDomain("127.0.0.1:1"))
        p.architecture = "arm64"
        p.variant = "v8"
        let d = { (arch: String, variant: String?) in
            try Descriptor.withPlatform(arch: arch, variant: variant)
        }
        let list = [try d("amd64", nil), try d("arm64", "v7"), try d("arm64", "v8")]
        #expect(p.choose(list)?.platform?.variant == "v8")
        p.architecture = "s390x"
        #expect(p.choose(list) == nil)
    }
}

extension Descriptor {
    static func withPlatform(arch: String, variant: String?) throws -> Descriptor {
        var d = Descriptor(mediaType: MediaType.ociManifest, digest: try Digest(hex: String(repeating: "a", count: 64)), size: 1)
        d.platform = Platform(architecture: arch, os: "linux", variant: variant)
        return d
    }
}

import BerthCore
import Foundation
import Testing

@testable import BerthRegistry

/// certs.d as Docker lays it out: CAs (`*.crt`) and a client certificate (`NAME.cert` with
/// `NAME.key`) per registry host, HTTPS even for a loopback registry that has a folder there.
@Suite struct CertsDirTests {
    static let cert = """
        -----BEGIN CERTIFICATE-----
        MIIBhzCCAS2gAwIBAgIUIkW9LIEbvWQZ1WVymtRNKeHxYz8wCgYIKoZIzj0EAwIw
        GDEWMBQGA1UEAwwNYmVydGgtdGVzdC1jYTAgFw0yNjExMzAyMzI4NTlaGA8yMTI2
        MTEwNjIzMjg1OVowGDEWMBQGA1UEAwwNYmVydGgtdGVzdC1jYTBZMBMGByqGSM49
        AgEGCCqGSM49AwEHA0IABFaAkf3nAdRqcgNwXf0kTzbPyjePjePitkbTtmlfs8Gg
        ABREpw8iNPTkPyBYdsNo38yQ/6aNcpN9q9Op7Lmn4K+jUzBRMB0GA1UdDgQWBBRw
        YYbGcK3DX35NK4c7HmrDeNBznzAfBgNVHSMEGDAWgBRwYYbGcK3DX35NK4c7HmrD
        eNBznzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQC819Ez2+RT
        CTCaTV7NTtrT5jj041k+RX6kgjqIUzZd0wIgQH3gcCTzaEktj6iHaPSdVaYi8+wn
        2DTmWcS0Xdv6ZHQ=
        -----END CERTIFICATE-----

        """
    static let key = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglhNcgKkNQJxcPmZ0
        2OwJBgkxKHdBwic8pxPMbvxxT6OhRANCAARWgJH95wHUanIDcF39JE82z8o3j43j
        4rZG07ZpX7PBoAAURKcPIjT05D8gWHbDaN/MkP+mjXKTfavTqey5p+Cv
        -----END PRIVATE KEY-----

        """

    /// A certs.d with one host folder holding `files`.
    static func certsDir(_ host: String, _ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "/berth-certs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/" + host, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + host + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func aHostFolderMeansHTTPSWithItsCAsAndClientCertificate() throws {
        let dir = try Self.certsDir("127.0.0.1:5443", ["ca.crt": Self.cert, "client.cert": Self.cert, "client.key": Self.key])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try RegistryClient.forDomain("127.0.0.1:5443", certsDir: dir)
        #expect(!c.plainHTTP && c.tls != nil)
        #expect(c.tls?.certificateChain.count == 1 && c.tls?.privateKey != nil)
        // Other hosts: as before (loopback plain HTTP, no certificates).
        let other = try RegistryClient.forDomain("127.0.0.1:5000", certsDir: dir)
        #expect(other.plainHTTP && other.tls == nil)
    }

    @Test func halfAPairOrABadFileIsRefusedWithTheReason() throws {
        let noKey = try Self.certsDir("reg:1", ["client.cert": Self.cert])
        defer { try? FileManager.default.removeItem(atPath: noKey) }
        #expect(throws: BerthError.self) { try RegistryClient.forDomain("reg:1", certsDir: noKey) }
        let noCert = try Self.certsDir("reg:1", ["client.key": Self.key])
        defer { try? FileManager.default.removeItem(atPath: noCert) }
        do {
            _ = try RegistryClient.forDomain("reg:1", certsDir: noCert)
            Issue.record("a key without its certificate was taken")
        } catch {
            #expect(BerthError.from(error).message.contains("missing client certificate client.cert"))
        }
        let garbage = try Self.certsDir("reg:1", ["ca.crt": "not a certificate"])
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        #expect(throws: BerthError.self) { try RegistryClient.forDomain("reg:1", certsDir: garbage) }
    }

    @Test func redirectsKeepCredentialsOnTheRegistryOnly() throws {
        let c = RegistryClient(host: "reg.example:5000", plainHTTP: false)
        #expect(c.isOwn(URL(string: "https://reg.example:5000/v2/x/blobs/sha256:1")!))
        #expect(!c.isOwn(URL(string: "https://storage.example/blob?sig=1")!))
        #expect(!c.isOwn(URL(string: "https://reg.example:5001/v2/")!))
        let hub = RegistryClient(host: "registry-1.docker.io", plainHTTP: false)
        #expect(hub.isOwn(URL(string: "https://registry-1.docker.io/v2/")!))
        #expect(RegistryClient(host: "[::1]:5000", plainHTTP: true).isOwn(URL(string: "http://[::1]:5000/v2/")!))
    }
}

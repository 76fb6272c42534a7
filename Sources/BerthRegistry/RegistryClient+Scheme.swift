import AsyncHTTPClient
import NIOCore
import NIOSSL

extension RegistryClient {
    /// dockerd's order for a registry it may not verify (loopback, `--insecure-registry`): HTTPS
    /// with the certificate unchecked if the registry speaks it (a self-signed one), else plain
    /// HTTP. Asked once per operation with `GET /v2/`; any HTTP answer means HTTPS.
    public func resolvingScheme() async -> RegistryClient {
        guard probesTLS else { return self }
        var https = self
        https.plainHTTP = false
        https.probesTLS = false
        var unchecked = TLSConfiguration.makeClientConfiguration()
        unchecked.certificateVerification = .none
        https.tls = unchecked
        var plain = self
        plain.probesTLS = false
        var req = HTTPClientRequest(url: "https://\(host)/v2/")
        req.tlsConfiguration = unchecked
        do {
            let r = try await Self.http.execute(req, timeout: .seconds(30))
            _ = try? await r.body.collect(upTo: Self.smallBody)
            return https
        } catch {
            return plain
        }
    }
}

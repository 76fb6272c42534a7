import BerthAPI
import BerthImage
import BerthRegistry
import Foundation

extension ImageService {
    /// Where a pull of `domain` goes, in order: for Docker Hub, its mirrors and then the Hub;
    /// otherwise the registry itself. Credentials go to the registry they were given for only.
    func registryEndpoints(_ domain: String, auth: AuthConfig?) async throws -> [RegistryClient] {
        var hub = try await registryClient(domain)
        hub.credentials = auth?.credentials
        guard domain == Reference.defaultDomain else { return [hub] }
        let mirrors = try registryMirrors.compactMap { u -> RegistryClient? in
            guard let name = u.host else { return nil }
            let host = name + (u.port.map { ":\($0)" } ?? "")
            let tls = try certsDir.flatMap { try RegistryTLS.configuration(certsDir: $0, host: host) }
            return RegistryClient(host: host, plainHTTP: u.scheme == "http", tokens: Self.tokens, tls: tls)
        }
        return mirrors + [hub]
    }

    /// The client for a registry domain, with berthd's insecure list and certs.d (HTTPS or HTTP
    /// decided here for the ones not verified).
    func registryClient(_ domain: String, tokens: TokenCache = ImageService.tokens) async throws -> RegistryClient {
        try await RegistryClient.forDomain(domain, insecure: insecureRegistries, tokens: tokens, certsDir: certsDir)
            .resolvingScheme()
    }
}

import BerthAPI
import BerthImage
import BerthRegistry
import Foundation

extension ImageService {
    /// Where a pull of `domain` goes, in order: for Docker Hub, its mirrors and then the Hub;
    /// otherwise the registry itself. Credentials go to the registry they were given for only.
    func registryEndpoints(_ domain: String, auth: AuthConfig?) -> [RegistryClient] {
        var hub = RegistryClient.forDomain(domain, insecure: insecureRegistries, tokens: Self.tokens)
        hub.credentials = auth?.credentials
        guard domain == Reference.defaultDomain else { return [hub] }
        let mirrors = registryMirrors.compactMap { u -> RegistryClient? in
            guard let host = u.host else { return nil }
            return RegistryClient(host: host + (u.port.map { ":\($0)" } ?? ""), plainHTTP: u.scheme == "http", tokens: Self.tokens)
        }
        return mirrors + [hub]
    }
}

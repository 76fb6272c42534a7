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

extension ImageService {
    /// Foundation's download files (`UUID.tmp` in berthd's tmp) a cut transfer left behind; only
    /// old ones, so a download still being written is never touched.
    func sweepAbandonedDownloads(olderThan seconds: TimeInterval = 600) {
        let cutoff = Date().addingTimeInterval(-seconds)
        for e in (try? FileManager.default.contentsOfDirectory(atPath: paths.tmp)) ?? [] where e.hasSuffix(".tmp") {
            let p = paths.tmp + "/" + e
            if let m = try? FileManager.default.attributesOfItem(atPath: p)[.modificationDate] as? Date, m < cutoff { unlink(p) }
        }
    }
}

import BerthAPI
import BerthCore
import BerthImage
import BerthRegistry
import Foundation

extension ImageService {
    /// GET /distribution/{name}/json: the registry's descriptor for a name and its platforms
    /// (`docker manifest`-free clients, docker-py's `inspect_distribution`), nothing pulled.
    public func distribution(_ text: String, auth: AuthConfig? = nil) async throws -> DistributionInspect {
        let parsed: Reference
        do { parsed = try Reference.parse(text) } catch { throw BerthError.invalid("invalid reference format: \(text)") }
        let ref = parsed.digest == nil && parsed.tag == nil ? parsed.withTag(Reference.defaultTag) : parsed
        let endpoints = try await registryEndpoints(ref.domain, auth: auth)
        return try await ImagePuller(client: endpoints.last!).describe(ref)
    }
}

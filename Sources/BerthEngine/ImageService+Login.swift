import BerthAPI
import BerthCore
import BerthImage
import BerthRegistry
import Foundation

extension ImageService {
    /// POST /auth: checks the credentials against the registry's /v2/ (Basic, or a token its
    /// challenge names); berthd keeps nothing — the client stores them, as Docker's does.
    public func login(_ auth: AuthConfig) async throws -> AuthResponse {
        guard let creds = auth.credentials else { throw BerthError.invalid("login needs a username and a password") }
        var server = auth.serveraddress ?? ""
        for prefix in ["https://", "http://"] where server.hasPrefix(prefix) { server = String(server.dropFirst(prefix.count)) }
        server = String(server.split(separator: "/").first ?? "")
        if server.isEmpty || server == "index.docker.io" { server = Reference.defaultDomain }
        var client = try await registryClient(server, tokens: TokenCache())
        client.credentials = creds
        let r = try await client.get("", scope: "")
        guard r.status == 200 else {
            throw BerthError(
                .permissionDenied,
                "login attempt to \(client.plainHTTP ? "http" : "https")://\(client.host)/v2/ failed with status: \(r.status) \(r.status == 401 ? "Unauthorized" : "")"
            )
        }
        return AuthResponse(Status: "Login Succeeded")
    }
}

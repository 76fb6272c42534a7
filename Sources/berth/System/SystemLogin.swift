import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth login`: berthd checks the credentials against the registry; they are stored where
/// the docker CLI keeps them.
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Log in to a registry.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Username.") var username: String?
    @Option(name: .shortAndLong, help: "Password (prefer --password-stdin).") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Take the password from stdin.") var passwordStdin = false
    @Argument(help: "SERVER (default: Docker Hub)") var server: String?

    func run() async throws {
        if password != nil && passwordStdin { throw CLIError(message: "--password and --password-stdin are mutually exclusive", code: 125) }
        guard let user = username, !user.isEmpty else {
            throw CLIError(message: "Error: Cannot perform an interactive login from a non TTY device: give -u and --password-stdin", code: 1)
        }
        var pass = password
        if passwordStdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            pass = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        guard let pass, !pass.isEmpty else { throw CLIError(message: "Error: Password Required", code: 1) }
        if password != nil { Out.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.") }
        let srv = server ?? "https://index.docker.io/v1/"
        let body = try JSONEncoder().encode(AuthConfig(username: user, password: pass, serveraddress: srv))
        let client = try global.client()
        let r = try await daemon { try await client.send(.POST, "/auth", body: .data(body)) }
        try DockerConfig.store(srv, user: user, password: pass)
        Out.print((try? JSONDecoder().decode(AuthResponse.self, from: r.body).Status) ?? "Login Succeeded")
    }
}

/// `berth logout`.
struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Log out from a registry.")
    @Argument(help: "SERVER (default: Docker Hub)") var server: String?

    func run() throws {
        let srv = server ?? "https://index.docker.io/v1/"
        guard DockerConfig.auth(for: srv) != nil else {
            Out.print("Not logged in to \(DockerConfig.key(srv))")
            return
        }
        try DockerConfig.store(srv, user: nil, password: nil)
        Out.print("Removing login credentials for \(DockerConfig.key(srv))")
    }
}

import Foundation

/// Registry credentials as Docker passes them: the `POST /auth` body, and base64url JSON in the
/// `X-Registry-Auth` header of pulls and pushes.
public struct AuthConfig: Codable, Sendable, Equatable {
    public var username: String?
    public var password: String?
    /// `base64(user:password)`, as config.json keeps it.
    public var auth: String?
    public var serveraddress: String?
    public var identitytoken: String?

    public init(username: String?, password: String?, serveraddress: String?) {
        self.username = username
        self.password = password
        self.serveraddress = serveraddress
    }

    /// User and password from the fields or from `auth`.
    public var credentials: (user: String, password: String)? {
        if let u = username, !u.isEmpty, let p = password { return (u, p) }
        guard let a = auth, let d = Data(base64Encoded: a), let s = String(data: d, encoding: .utf8),
            let colon = s.firstIndex(of: ":")
        else { return nil }
        return (String(s[..<colon]), String(s[s.index(after: colon)...]))
    }

    /// Reads `X-Registry-Auth` (base64url or standard base64 JSON; empty or `{}` is none).
    public static func fromHeader(_ value: String?) -> AuthConfig? {
        guard let d = decodeHeader(value), let a = try? JSONDecoder().decode(AuthConfig.self, from: d) else { return nil }
        return a.credentials == nil && a.identitytoken == nil ? nil : a
    }

    /// `X-Registry-Config` (docker build): registry → credentials; the first that has any.
    public static func fromConfigHeader(_ value: String?) -> AuthConfig? {
        guard let d = decodeHeader(value), let m = try? JSONDecoder().decode([String: AuthConfig].self, from: d) else { return nil }
        return m.values.first { $0.credentials != nil }
    }

    /// A header's base64url (or standard base64) JSON, padding optional.
    static func decodeHeader(_ value: String?) -> Data? {
        guard var v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        v = v.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while v.count % 4 != 0 { v += "=" }
        return Data(base64Encoded: v)
    }

    /// The header value for these credentials (base64url JSON, as the docker CLI sends it).
    public var headerValue: String {
        let d = (try? JSONEncoder().encode(self)) ?? Data()
        return d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}

/// POST /auth's answer.
public struct AuthResponse: Codable, Sendable, Equatable {
    public var Status: String
    public var IdentityToken: String?
    public init(Status: String, IdentityToken: String? = nil) { self.Status = Status; self.IdentityToken = IdentityToken }
}

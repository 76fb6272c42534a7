import BerthAPI
import BerthCore
import Foundation
import Synchronization

/// A request as the router sees it: the API version prefix already stripped.
public struct APIRequest: Sendable {
    public var method: String
    /// Decoded path without `/v1.NN`, e.g. `/images/busybox:latest/json`.
    public var path: String
    public var query: [String: [String]]
    public var headers: [String: String]
    /// Small bodies in memory.
    public var body: Data
    /// Large uploads (image load/import) spooled to a file, deleted after the response.
    public var bodyFile: String?
    /// Told when the client's connection closes (work for it can stop, before any answer too).
    public var connection: ConnectionEnd?

    public func query(_ key: String) -> String? { query[key]?.last }

    /// Docker's boolean query values: `1`, `true`, `True`.
    public func flag(_ key: String) -> Bool {
        guard let v = query(key)?.lowercased() else { return false }
        return v == "1" || v == "true" || v == "yes"
    }

    /// A boolean query value with a default when absent (`stream`, `pause`): `0`, `false`, `False` are false.
    public func flag(_ key: String, default d: Bool) -> Bool {
        guard let v = query(key)?.lowercased(), !v.isEmpty else { return d }
        return !(v == "0" || v == "false" || v == "no")
    }

    /// Docker's `filters` parameter: `{"k":{"v":true}}` or the older `{"k":["v"]}`.
    public func filters() throws -> [String: [String]] {
        guard let raw = query("filters"), !raw.isEmpty else { return [:] }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
            throw BerthError.invalid("invalid filters: \(raw)")
        }
        var out: [String: [String]] = [:]
        for (k, v) in obj {
            if let m = v as? [String: Any] {
                out[k] = m.filter { ($0.value as? Bool) ?? true }.map(\.key).sorted()
            } else if let a = v as? [String] {
                out[k] = a
            } else {
                throw BerthError.invalid("invalid filters: \(raw)")
            }
        }
        return out
    }
}

/// What the router answers.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case data(Data)
        /// A file sent as is, then deleted when `deleteAfter` is set.
        case file(path: String, deleteAfter: Bool)
        /// Chunks sent as they come (logs --follow, events).
        case stream(AsyncThrowingStream<Data, any Error>)
        case empty
        /// The connection is taken over after the head: raw bytes both ways (attach, exec).
        case hijack(any HijackSession)
    }
    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)] = [], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> APIResponse {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        var data = try e.encode(value)
        data.append(0x0a)
        return APIResponse(status: status, headers: [("Content-Type", "application/json")], body: .data(data))
    }

    /// A JSON-lines progress stream, as Docker sends for load and import.
    public static func jsonLines(_ lines: [[String: String]]) throws -> APIResponse {
        var data = Data()
        for l in lines {
            data.append(try JSONSerialization.data(withJSONObject: l, options: [.sortedKeys]))
            data.append(0x0a)
        }
        return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .data(data))
    }

    public static func error(_ e: BerthError) -> APIResponse {
        let body = (try? JSONSerialization.data(withJSONObject: ["message": e.message])) ?? Data()
        return APIResponse(
            status: e.httpStatus, headers: [("Content-Type", "application/json")],
            body: .data(body + Data([0x0a])))
    }

    public static func noContent(_ status: Int = 204) -> APIResponse { APIResponse(status: status) }
}

/// A connection taken over after the response head (Docker's attach and exec start).
public protocol HijackSession: Sendable {
    /// Bytes from the client; called on the event loop, so it must not block.
    func received(_ data: Data)
    /// The client closed its sending side (stdin ended).
    func inputEnded()
    /// The client went away.
    func disconnected()
    /// Runs on a thread of its own. `write` blocks until the bytes are handed to the socket
    /// and throws once the client is gone. The connection closes when this returns.
    func run(write: (Data) throws -> Void)
}

extension APIResponse {
    /// A hijacked stream: `101 UPGRADED` when the client asked to upgrade (docker CLI,
    /// docker-py), else `200` followed by the raw stream.
    public static func hijack(_ r: APIRequest, tty: Bool, _ session: any HijackSession) -> APIResponse {
        let upgrade = r.headers["upgrade"] != nil
        let type = tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        var headers = [("Content-Type", type)]
        if upgrade { headers += [("Connection", "Upgrade"), ("Upgrade", "tcp")] }
        return APIResponse(status: upgrade ? 101 : 200, headers: headers, body: .hijack(session))
    }
}

/// A connection's end, heard by the work its requests started (a pull, a build, a stream).
public final class ConnectionEnd: Sendable {
    private struct State {
        var ended = false
        var next: UInt64 = 0
        var hearers: [UInt64: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// `hear` runs once when the connection ends (at once if it has); the token forgets it
    /// when the work ends first (a keep-alive connection serves many requests).
    @discardableResult
    public func onEnd(_ hear: @escaping @Sendable () -> Void) -> UInt64 {
        let (token, now) = state.withLock { s -> (UInt64, Bool) in
            s.next += 1
            if !s.ended { s.hearers[s.next] = hear }
            return (s.next, s.ended)
        }
        if now { hear() }
        return token
    }

    public func forget(_ token: UInt64) {
        _ = state.withLock { s in s.hearers.removeValue(forKey: token) }
    }

    func end() {
        let all = state.withLock { s -> [@Sendable () -> Void] in
            s.ended = true
            defer { s.hearers = [:] }
            return Array(s.hearers.values)
        }
        for h in all { h() }
    }
}

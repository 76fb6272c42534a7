import Foundation

/// The one error type of berth: a machine-readable code and a message fit for a user.
public struct BerthError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable, Codable {
        case invalidArgument
        case notFound
        case conflict
        case notModified
        case unavailable
        case unsupported
        case corrupt
        case internalError
        case permissionDenied
        /// The object cannot do this (Docker's 501, e.g. reading a `none` log).
        case notImplemented
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The HTTP status the Docker Engine API uses for this kind of error.
    public var httpStatus: Int {
        switch code {
        case .invalidArgument, .corrupt, .unsupported: return 400
        case .notFound: return 404
        case .conflict: return 409
        case .notModified: return 304
        case .unavailable: return 503
        case .permissionDenied: return 403
        case .notImplemented: return 501
        case .internalError: return 500
        }
    }

    public static func invalid(_ message: String) -> BerthError { .init(.invalidArgument, message) }
    public static func notFound(_ message: String) -> BerthError { .init(.notFound, message) }
    public static func conflict(_ message: String) -> BerthError { .init(.conflict, message) }
    public static func corrupt(_ message: String) -> BerthError { .init(.corrupt, message) }
    public static func `internal`(_ message: String) -> BerthError { .init(.internalError, message) }

    /// Wraps a POSIX failure, naming what was being done.
    public static func posix(_ what: String, errno err: Int32 = errno) -> BerthError {
        .init(.internalError, "\(what): \(String(cString: strerror(err)))")
    }

    /// Maps any error to a BerthError, keeping ours as they are.
    public static func from(_ error: any Error) -> BerthError {
        if let e = error as? BerthError { return e }
        return .init(.internalError, String(describing: error))
    }
}

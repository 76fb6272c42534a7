import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one error type of berth: a machine-readable code, a message fit for a user, and what
/// caused it underneath (an errno, a library's error) for logs and tests.
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
    /// The underlying failure: `errno 28 (ENOSPC)`, a library error's description.
    public let cause: String?
    /// The errno of a POSIX failure.
    public let errno: Int32?

    public init(_ code: Code, _ message: String, cause: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.errno = errno
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

    /// Wraps a POSIX failure, naming what was being done; the errno picks the code (and so the
    /// HTTP status) as Docker's daemon maps it.
    public static func posix(_ what: String, errno err: Int32 = Glibc.errno) -> BerthError {
        .init(code(errno: err), "\(what): \(String(cString: strerror(err)))", cause: "errno \(err)", errno: err)
    }

    /// ENOENT → 404, EEXIST/EBUSY/ENOTEMPTY → 409, EACCES/EPERM/EROFS → 403, EINVAL/ENAMETOOLONG
    /// → 400; the rest (ENOSPC, EIO…) → 500 with the system's words.
    public static func code(errno err: Int32) -> Code {
        switch err {
        case ENOENT: return .notFound
        case EEXIST, EBUSY, ENOTEMPTY: return .conflict
        case EACCES, EPERM, EROFS: return .permissionDenied
        case EINVAL, ENAMETOOLONG, ENOTDIR, EISDIR, ELOOP: return .invalidArgument
        default: return .internalError
        }
    }

    /// Maps any error to a BerthError, keeping ours as they are.
    public static func from(_ error: any Error) -> BerthError {
        if let e = error as? BerthError { return e }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain {
            let err = Int32(ns.code)
            return .init(code(errno: err), String(cString: strerror(err)), cause: String(describing: error), errno: err)
        }
        return .init(.internalError, String(describing: error), cause: String(describing: type(of: error)))
    }
}

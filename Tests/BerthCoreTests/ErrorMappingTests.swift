import Foundation
import Testing

@testable import BerthCore

/// errno → Docker's HTTP statuses, with the system's words and the cause kept.
@Suite struct ErrorMappingTests {
    @Test func posixErrorsTakeDockersStatus() {
        let cases: [(Int32, Int)] = [(ENOENT, 404), (EEXIST, 409), (EBUSY, 409), (EACCES, 403), (EPERM, 403), (EROFS, 403), (ENOSPC, 500), (EIO, 500), (ENAMETOOLONG, 400)]
        for (err, status) in cases {
            let e = BerthError.posix("write x", errno: err)
            #expect(e.httpStatus == status, "errno \(err)")
            #expect(e.errno == err && e.cause == "errno \(err)")
            #expect(e.message == "write x: " + String(cString: strerror(err)))
        }
        #expect(BerthError.posix("write big", errno: ENOSPC).message == "write big: No space left on device")
    }

    @Test func foundationPosixErrorsAreMappedToo() {
        let e = BerthError.from(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOENT)))
        #expect(e.code == .notFound && e.errno == ENOENT)
        struct Other: Error {}
        let o = BerthError.from(Other())
        #expect(o.code == .internalError && o.cause == "Other")
        let mine = BerthError.conflict("c")
        #expect(BerthError.from(mine) == mine)
    }
}

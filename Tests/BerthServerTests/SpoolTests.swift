import NIOHTTP1
import Testing

@testable import BerthServer

/// Which request bodies go to a file instead of memory (32 MB at most there).
@Suite struct SpoolTests {
    func head(_ method: HTTPMethod, _ uri: String) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri)
    }

    @Test func bigBodiesAreSpooled() {
        #expect(HTTPConnectionHandler.wantsSpool(head(.POST, "/v1.43/build?t=x")))
        #expect(HTTPConnectionHandler.wantsSpool(head(.POST, "/build")))
        #expect(HTTPConnectionHandler.wantsSpool(head(.POST, "/images/load")))
        #expect(HTTPConnectionHandler.wantsSpool(head(.PUT, "/containers/x/archive?path=/")))
        #expect(!HTTPConnectionHandler.wantsSpool(head(.POST, "/containers/create")))
        #expect(!HTTPConnectionHandler.wantsSpool(head(.GET, "/build")))
    }
}

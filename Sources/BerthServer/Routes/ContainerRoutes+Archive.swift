import BerthAPI
import BerthCore
import BerthEngine
import Foundation

extension EngineRouter {
    /// HEAD /containers/{id}/archive: the path's stat in a header.
    func statArchive(_ ref: String, _ r: APIRequest) async throws -> APIResponse {
        let st = try await containers.statPath(ref, try Self.archivePath(r))
        return APIResponse(status: 200, headers: [("X-Docker-Container-Path-Stat", try Self.statHeader(st))])
    }

    /// GET /containers/{id}/archive: a tar of the path.
    func getArchive(_ ref: String, _ r: APIRequest) async throws -> APIResponse {
        let (st, file) = try await containers.exportPath(ref, try Self.archivePath(r))
        return APIResponse(
            status: 200,
            headers: [
                ("Content-Type", "application/x-tar"),
                ("X-Docker-Container-Path-Stat", try Self.statHeader(st)),
            ],
            body: .file(path: file, deleteAfter: true))
    }

    /// PUT /containers/{id}/archive: a tar unpacked into the path.
    func putArchive(_ ref: String, _ r: APIRequest) async throws -> APIResponse {
        let path = try Self.archivePath(r)
        var file = r.bodyFile
        if file == nil {
            try FileOps.makeDirs(paths.tmp, mode: 0o700)
            let tmp = paths.tmp + "/cp-" + Identifier.random().prefix(16) + ".tar"
            try FileOps.writeAtomically(r.body, to: tmp, mode: 0o600)
            file = tmp
        }
        defer { if r.bodyFile == nil, let file { unlink(file) } }
        try await containers.importArchive(ref, path, tarFile: file!)
        return .noContent(200)
    }

    static func archivePath(_ r: APIRequest) throws -> String {
        guard let path = r.query("path"), !path.isEmpty else { throw BerthError.invalid("path is required") }
        return path
    }

    static func statHeader(_ st: PathStat) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return try e.encode(st).base64EncodedString()
    }
}

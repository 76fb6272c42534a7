import BerthAPI
import BerthCore
import BerthImage
import BerthRegistry
import BerthStore
import Foundation
import Synchronization

extension ImageService {
    /// `berth push NAME[:TAG]`: the image's blobs the registry lacks, then its manifest; the
    /// manifest digest is recorded as a repo digest. A pulled image goes up as it came (its
    /// blobs and manifest bytes: the same digest); layers made here go up gzip-compressed.
    /// Returns Docker's messages.
    public func push(_ text: String, auth: AuthConfig? = nil) async throws -> [[String: String]] {
        let parsed: Reference
        do { parsed = try Reference.parse(text) } catch { throw BerthError.invalid("invalid reference format: \(text)") }
        guard parsed.digest == nil else { throw BerthError.invalid("cannot push a digest reference: \(text)") }
        let ref = parsed.tag == nil ? parsed.withTag(Reference.defaultTag) : parsed
        let (id, detail) = try store.read { db -> (String, ImageDetail) in
            guard let id = try ImageQueries.imageForTag(db, name: ref.description), let d = try ImageQueries.detail(db, id: id) else {
                throw BerthError.notFound("An image does not exist locally with the tag: \(ref.familiarName)")
            }
            return (id, d)
        }
        let plan = try pushPlan(imageID: id, detail: detail)
        defer { if let t = plan.temporary { FileOps.removeTree(t) } }
        let blobs = plan.layers
        var client = try await registryClient(ref.domain)
        client.credentials = auth?.credentials
        var lines: [[String: String]] = [["status": "The push refers to repository [\(ref.familiarName)]"]]
        let progress = ProgressLines()
        let pushed = blobs.map(\.digest.string)
        var pusher = ImagePusher(client: client)
        let store = self.store, host = client.host, repo = ref.path
        pusher.mountFrom = { d in
            try? store.read { db in try ImageStore.blobSource(db, digest: d.string, registry: host, excluding: repo) }
        }
        let (digest, size) = try await pusher.push(
            repository: ref.path, tag: ref.tag!, config: Data(detail.configJSON.utf8), layers: blobs, oci: plan.oci,
            manifest: plan.manifest
        ) { id, status in progress.add(["status": status, "id": id]) }
        lines += progress.all
        try await mutate {
            try store.write { db in
                try ImageStore.addRepoDigest(db, repository: ref.name, digest: digest.string, imageID: id)
                try ImageStore.recordBlobSources(
                    db, digests: pushed, registry: host, repository: repo, at: Clock.nowNanos())
                try Events.append(
                    db, type: "image", action: "push", actorID: id, actorName: ref.familiarString,
                    attributes: ["name": ref.familiarString])
            }
        }
        lines.append(["status": "\(ref.tag!): digest: \(digest) size: \(size)"])
        return lines
    }
}

/// Progress messages gathered from concurrent work.
final class ProgressLines: Sendable {
    let lines = Mutex<[[String: String]]>([])
    func add(_ l: [String: String]) { lines.withLock { $0.append(l) } }
    var all: [[String: String]] { lines.withLock { $0 } }
}

import BerthAPI
import BerthCore
import BerthImage
import BerthRegistry
import BerthStore
import Foundation
import Synchronization

extension ImageService {
    /// Registry tokens, shared by every pull of this berthd (cached until they expire).
    static let tokens = TokenCache()
    /// Layer downloads in flight, shared by every pull of this berthd.
    static let claims = DownloadClaims()

    /// `berth pull NAME[:TAG|@DIGEST]`: fetched (blobs verified as they arrive, three layers at
    /// a time), then stored and recorded in one step with the repo digest. Returns Docker's
    /// progress messages.
    /// `emit` hears each message as it happens, from the first layer on (before it, a failure —
    /// an unknown name, refused credentials — is an error of the request, not of a stream).
    public func pull(
        _ text: String, auth: AuthConfig? = nil, platform: String? = nil,
        emit: (@Sendable ([String: String]) -> Void)? = nil
    ) async throws -> [[String: String]] {
        let parsed: Reference
        do { parsed = try Reference.parse(text) } catch { throw BerthError.invalid("invalid reference format: \(text)") }
        let ref = parsed.digest == nil && parsed.tag == nil ? parsed.withTag(Reference.defaultTag) : parsed
        let endpoints = try await registryEndpoints(ref.domain, auth: auth)
        let client = endpoints.last!
        var lines: [[String: String]] = [
            [
                "status": "Pulling from " + ref.path,
                "id": ref.tag ?? ref.digest?.string ?? "",
            ]
        ]
        let started = Clock.nowNanos()
        var record = ImageStore.PullRecord(
            reference: ref.description, registry: client.host, digest: nil, imageID: nil, bytesFetched: 0, bytesReused: 0,
            startedAt: started, seconds: 0, outcome: "failed")
        defer {
            record.seconds = Double(Clock.nowNanos() - started) / 1e9
            try? store.write { db in try ImageStore.recordPull(db, record) }
        }
        var rejectOnFailure: [Digest] = []
        do {
            try FileOps.makeDirs(paths.tmp, mode: 0o700)
            let staging = try FileOps.makeTempDir(in: paths.tmp, prefix: "pull")
            defer { FileOps.removeTree(staging) }
            let store = self.store, paths = self.paths
            let header = lines[0]
            let started = Mutex(false)
            try FileOps.makeDirs(paths.downloads, mode: 0o700)
            let stored: @Sendable (Digest) -> String? = { d in
                // A blob recorded once is on disk and was verified then: a shared base layer is fetched once.
                if (try? store.read({ db in try ImageStore.hasBlob(db, digest: d.string) })) == true, FileOps.exists(paths.blob(d.hex)) {
                    return paths.blob(d.hex)
                }
                // One an earlier pull verified but did not get to record: linked in, not fetched.
                let here = staging + "/verified-" + d.hex
                return FileOps.exists(here) || link(paths.downloads + "/" + d.hex, here) == 0 ? here : nil
            }
            let progress: @Sendable (String, String) -> Void = { id, status in
                guard let emit else { return }
                if started.withLock({ s in
                    defer { s = true }; return !s
                }) {
                    emit(header)
                }
                emit(["status": status, "id": id])
            }
            // Docker Hub's mirrors first (`--registry-mirror`), the Hub itself last.
            var pulled: PulledImage?
            var followed: FollowedLayers?
            for (n, endpoint) in endpoints.enumerated() {
                var puller = ImagePuller(client: endpoint)
                if let platform, !platform.isEmpty { try puller.select(platform: platform) }
                puller.verified = { d, path in _ = link(path, paths.downloads + "/" + d.hex) }
                puller.claims = Self.claims
                // Each layer is unpacked as it arrives, in one pass with its download.
                let following = FollowedLayers(unpacker: unpacker, tmp: paths.tmp)
                puller.following = { i, diffID, file in following.start(i, diffID: diffID, file: file) }
                do {
                    pulled = try await puller.pull(ref, into: staging, stored: stored, progress: progress)
                    record.registry = endpoint.host
                    followed = following
                    break
                } catch  where n < endpoints.count - 1 {
                    following.discard()
                    logger.notice("pull of \(ref) from mirror \(endpoint.host) failed: \(BerthError.from(error).message); trying the next")
                } catch {
                    following.discard()
                    throw error
                }
            }
            guard let image = pulled else { throw BerthError.internal("no registry answered for \(ref)") }
            // Downloaded and verified; from here a failure rejects them (a diff id that does not
            // match, a layer that will not unpack): they are not kept for another try.
            rejectOnFailure = image.layers.map(\.digest)
            for l in image.layers {
                let line = ["status": l.fetched ? "Pull complete" : "Already exists", "id": String(l.digest.hex.prefix(12))]
                lines.append(line)
                // "Already exists" was heard as it happened.
                if l.fetched { emit?(line) }
            }
            // Sized now: the ingest moves the fetched files into the store.
            record.bytesFetched = Int64(image.configData.count) + image.layers.filter(\.fetched).reduce(0) { $0 + FileOps.size($1.path) }
            record.bytesReused = image.layers.filter { !$0.fetched }.reduce(0) { $0 + FileOps.size($1.path) }
            let id = image.configDigest
            let ahead = try unpackAhead(image, done: followed?.finish() ?? [:])
            defer { for u in ahead.values { FileOps.removeTree(u.work) } }
            let fresh = try await mutate { [self] in
                do {
                    return try ingest(image, id: id, ref: ref, ahead: ahead)
                } catch {
                    _ = try? removeUnrecorded()
                    throw error
                }
            }
            let shown = ref.tag != nil ? ref.familiarString : ref.familiarName + "@" + image.manifestDigest.string
            let tail = [
                ["status": "Digest: " + image.manifestDigest.string],
                ["status": fresh ? "Status: Downloaded newer image for \(shown)" : "Status: Image is up to date for \(shown)"],
            ]
            lines += tail
            if let emit {
                if !started.withLock({ $0 }) { emit(header) }
                tail.forEach(emit)
            }
            for l in image.layers { unlink(paths.downloads + "/" + l.digest.hex) }
            // Where these layers live, for a later push to another repository there to mount them.
            try? store.write { db in
                try ImageStore.recordBlobSources(
                    db, digests: image.layers.map(\.digest.string), registry: record.registry, repository: ref.path, at: Clock.nowNanos())
            }
            record.digest = image.manifestDigest.string
            record.imageID = id.string
            record.outcome = fresh ? "downloaded" : "up-to-date"
        } catch {
            for d in rejectOnFailure { unlink(paths.downloads + "/" + d.hex) }
            // Every client waiting on it went away (Ctrl-C, a killed CLI): not a failure.
            if Task.isCancelled {
                record.outcome = "cancelled"
                throw CancellationError()
            }
            record.outcome = "failed: " + BerthError.from(error).message
            throw error
        }
        return lines
    }

    /// Stores the pulled blobs and records the image, its tag and repo digest; false when the
    /// tag already named this image.
    func ingest(_ image: PulledImage, id: Digest, ref: Reference, ahead: [Int: Unpacked] = [:]) throws -> Bool {
        let had = try store.read { db in
            try ref.tag.flatMap { _ in try ImageQueries.imageForTag(db, name: ref.description) } == id.string
        }
        // Every file here was checked against its digest as it came (or when it was stored).
        var known: [String: (Digest, Int64)] = [:]
        for l in image.layers { known[l.path] = (l.digest, FileOps.size(l.path)) }
        var prepared: [PreparedLayer] = []
        for (i, l) in image.layers.enumerated() {
            prepared.append(
                try prepareLayer(
                    path: l.path, mediaType: l.mediaType, expected: l.digest, diffID: image.config.rootfs.diff_ids[i],
                    parent: prepared.last?.chainID, known: &known, unpacked: ahead[i]))
        }
        try store.write { db in
            try record(
                db, id: id, configData: image.configData, config: image.config, layers: prepared,
                manifestDigest: image.manifestDigest, names: ref.tag != nil ? [ref] : [], action: "pull", now: Clock.nowNanos())
            try ImageStore.addRepoDigest(db, repository: ref.name, digest: image.manifestDigest.string, imageID: id.string)
            if let m = image.manifest, let text = String(data: m.data, encoding: .utf8) {
                try ImageStore.setManifest(db, imageID: id.string, json: text, mediaType: m.mediaType)
            }
        }
        return !had
    }
}

extension ImageService {
    /// `berth pull -a NAME`: every tag of the repository, one after the other, with Docker's
    /// closing line for the name.
    public func pullAllTags(
        _ text: String, auth: AuthConfig? = nil, platform: String? = nil, emit: (@Sendable ([String: String]) -> Void)? = nil
    ) async throws {
        let ref: Reference
        do { ref = try Reference.parse(text) } catch { throw BerthError.invalid("invalid reference format: \(text)") }
        guard ref.tag == nil, ref.digest == nil else { throw BerthError.invalid("tag can't be used with --all-tags/-a") }
        var client = try await registryClient(ref.domain)
        client.credentials = auth?.credentials
        let tags = try await client.tags(ref.path)
        guard !tags.isEmpty else { throw BerthError.notFound("no tags in \(ref.familiarString)") }
        for tag in tags.sorted() {
            _ = try await pull(ref.withTag(tag).description, auth: auth, platform: platform, emit: emit)
        }
    }
}

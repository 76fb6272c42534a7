import BerthCore
import BerthImage
import BerthRegistry
import BerthStore
import Dispatch
import Foundation
import Synchronization

extension ImageService {
    /// A layer decompressed (its diff id computed) and unpacked into `work/diff` ahead of the
    /// ingest, which then only renames it into place.
    struct Unpacked: Sendable {
        var diffID: Digest
        var work: String
        var size: Int64

        /// Unpacks `file` into a new work folder under `tmp` in one pass, checking the diff id.
        static func make(_ file: GrowingFile, diffID: Digest, unpacker: LayerUnpacker, tmp: String) throws -> Unpacked {
            let work = try FileOps.makeTempDir(in: tmp, prefix: "layer")
            do {
                try FileOps.makeDirs(work + "/diff")
                let (diff, size) = try unpacker.unpack(growing: file, into: work + "/diff")
                guard diff == diffID else { throw ImageService.diffIDMismatch(expected: diffID, got: diff) }
                return Unpacked(diffID: diff, work: work, size: size)
            } catch {
                FileOps.removeTree(work)
                throw error
            }
        }
    }

    static func diffIDMismatch(expected: Digest, got: Digest) -> BerthError {
        BerthError.corrupt("layer diff id mismatch: the image config says \(expected), the layer is \(got)")
    }

    /// The CPU-bound part of a pull, several layers at once (one per core): each layer the host
    /// does not have yet, and that was not unpacked as it arrived (`done`), is decompressed,
    /// checked against the config's diff id and unpacked into tmp in one pass. The chain ids come
    /// from the config, so nothing waits for the layer below it.
    func unpackAhead(_ image: PulledImage, done: [Int: Unpacked] = [:]) throws -> [Int: Unpacked] {
        let diffs = image.config.rootfs.diff_ids
        guard diffs.count == image.layers.count else { return done }
        let chains = Digest.chainIDs(diffs)
        let have: Set<Digest>
        do {
            have = try store.read { db in Set(try chains.filter { try ImageStore.layerSize(db, chainID: $0.string) != nil }) }
        } catch {
            for u in done.values { FileOps.removeTree(u.work) }
            throw error
        }
        let todo = image.layers.indices.filter { !have.contains(chains[$0]) && done[$0] == nil }
        let results = Mutex<[Int: Result<Unpacked, any Error>]>([:])
        let unpacker = self.unpacker, tmp = paths.tmp
        let lanes = max(1, min(ProcessInfo.processInfo.activeProcessorCount, todo.count))
        let next = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: lanes) { _ in
            while true {
                let k = next.withLock { n -> Int? in
                    defer { n += 1 }
                    return n < todo.count ? todo[n] : nil
                }
                guard let i = k else { return }
                let l = image.layers[i]
                let r = Result {
                    try Unpacked.make(.complete(path: l.path), diffID: diffs[i], unpacker: unpacker, tmp: tmp)
                }
                results.withLock { $0[i] = r }
            }
        }
        let all = results.withLock { $0 }
        var out = done
        var failure: (any Error)?
        for i in all.keys.sorted() {
            switch all[i]! {
            case .success(let u): out[i] = u
            case .failure(let e): if failure == nil { failure = e }
            }
        }
        if let failure {
            for u in out.values { FileOps.removeTree(u.work) }
            throw failure
        }
        return out
    }
}

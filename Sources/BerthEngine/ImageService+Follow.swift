import BerthCore
import BerthImage
import Dispatch
import Foundation
import Synchronization

extension ImageService {
    /// Layers unpacked while their downloads arrive (a thread per download), each checked
    /// against the config's diff id; waited for before the ingest.
    final class FollowedLayers: Sendable {
        private let results = Mutex<[Int: Result<Unpacked, any Error>]>([:])
        private let running = DispatchGroup()
        /// Unpacking is CPU work: one per core at a time (a follower that waits reads the
        /// file later, from where the download got to; downloads never wait for it).
        private let lanes = DispatchSemaphore(value: max(1, ProcessInfo.processInfo.activeProcessorCount))
        let unpacker: LayerUnpacker
        let tmp: String

        init(unpacker: LayerUnpacker, tmp: String) {
            self.unpacker = unpacker
            self.tmp = tmp
        }

        func start(_ index: Int, diffID: Digest, file: GrowingFile) {
            running.enter()
            Thread.detachNewThread { [self] in
                lanes.wait()
                defer { lanes.signal() }
                let r = Result { try Unpacked.make(file, diffID: diffID, unpacker: unpacker, tmp: tmp) }
                // Each index is downloaded once per pull: no earlier result to replace.
                results.withLock { $0[index] = r }
                running.leave()
            }
        }

        /// Waits for every one: the layers unpacked (the others are unpacked from their files).
        func finish() -> [Int: Unpacked] {
            running.wait()
            return results.withLock { $0.compactMapValues { try? $0.get() } }
        }

        /// Waits for every one and removes what they unpacked (a pull that failed).
        func discard() {
            for u in finish().values { FileOps.removeTree(u.work) }
        }
    }
}

import BerthAPI
import BerthBuild
import BerthCore
import BerthImage
import BerthStore
import Foundation

/// `berth build` / POST /build: Docker's classic builder. Each step's result is an image row
/// (metadata steps without a layer), found again through the `build_cache` table by the image
/// it ran on and what it did; RUN steps run as real containers under conmon and runc.
public final class BuildService: Sendable {
    let images: ImageService
    let containers: ContainerService

    public init(images: ImageService, containers: ContainerService) {
        self.images = images
        self.containers = containers
    }

    /// Runs a build; returns the image id. Messages go to `emit` as the steps run.
    public func build(_ request: BuildRequest, emit: @escaping BuildEmitter) async throws -> String {
        let b = Builder(images: images, containers: containers, request: request, emit: emit)
        return try await b.run()
    }

    /// `berth builder prune`: forgets the cache and removes the images only it kept. Returns the
    /// removed image ids and the bytes freed.
    public func prune() async throws -> (ids: [String], reclaimed: Int64) {
        try await images.pruneBuildCache()
    }
}

extension ImageService {
    func pruneBuildCache() async throws -> (ids: [String], reclaimed: Int64) {
        try await mutate { [self] in
            var files: [String] = []
            let out = try store.write { db -> ([String], Int64) in
                _ = try ImageStore.clearBuildCache(db)
                var ids: [String] = []
                var bytes: Int64 = 0
                let now = Clock.nowNanos()
                // Children first: each round removes the images nothing else was made from.
                while true {
                    let round = try ImageStore.danglingBuildImages(db)
                    if round.isEmpty { break }
                    for id in round {
                        let (_, paths, freed) = try deleteImage(db, id: id, now: now)
                        files += paths
                        bytes += freed
                        ids.append(id)
                    }
                }
                return (ids, bytes)
            }
            removeFiles(files)
            // The rows' pages too: a big build's history is given back to the disk.
            return (out.0, out.1 + store.reclaimSpace())
        }
    }
}

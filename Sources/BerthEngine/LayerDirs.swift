import BerthCore
import BerthStore

extension Store {
    /// An image's unpacked layer dirs, top first: the lowerdirs of an overlay of it.
    func layerDirs(imageID: String, paths: BerthPaths) throws -> [String] {
        try read { db in try ContainerStore.lowerChainIDs(db, imageID: imageID) }.map { paths.layerDiff(String($0.dropFirst(7))) }
    }
}

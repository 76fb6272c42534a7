import BerthAPI
import BerthCore
import Foundation

// Docker's image shapes built from the store's rows (berthd's answers and the CLI's reads).

extension ImageSummary {
    /// GET /images/json item for a listing.
    public init(_ l: ImageListing) {
        self.init()
        Id = l.id
        ParentId = ""
        RepoTags = l.tags.map { ImageName.familiar($0.repository) + ":" + $0.tag }
        RepoDigests = l.digests.map { d in
            guard let at = d.firstIndex(of: "@") else { return d }
            return ImageName.familiar(String(d[..<at])) + String(d[at...])
        }
        Created = l.created / 1_000_000_000
        Size = l.size
        SharedSize = -1
        VirtualSize = l.size
        Labels = l.labels
        Containers = l.containers
    }
}

extension ImageInspect {
    /// GET /images/{name}/json for an image; `layerDir` maps a chain id to its overlay folder.
    public init(_ d: ImageDetail, layerDir: (String) -> String) {
        self.init()
        let cfg = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(d.configJSON.utf8))) ?? [:]
        func str(_ k: String) -> String? { if case .string(let s)? = cfg[k] { return s }; return nil }
        let summary = ImageSummary(d.listing)
        Id = d.listing.id
        RepoTags = summary.RepoTags
        RepoDigests = summary.RepoDigests
        Parent = d.parentID ?? ""
        Comment = str("comment") ?? ""
        Created = Clock.rfc3339Nano(d.listing.created)
        DockerVersion = str("docker_version") ?? ""
        Author = str("author") ?? ""
        Config = cfg["config"]
        Architecture = d.architecture ?? ""
        Variant = str("variant")
        Os = d.os ?? ""
        Size = d.listing.size
        VirtualSize = d.listing.size
        let dirs = d.layers.map { layerDir($0.chainID) }
        self.GraphDriver.Name = "overlay"
        if let top = dirs.last {
            self.GraphDriver.Data["UpperDir"] = top
            let lower = dirs.dropLast().reversed().joined(separator: ":")
            if !lower.isEmpty { self.GraphDriver.Data["LowerDir"] = lower }
        }
        RootFS.Type = "layers"
        if case .object(let rootfs)? = cfg["rootfs"], case .array(let ids)? = rootfs["diff_ids"] {
            RootFS.Layers = ids.compactMap {
                if case .string(let s) = $0 { return s }; return nil
            }
        }
        self.Metadata.LastTagTime = d.lastTagTime.map { Clock.rfc3339Nano($0) }
    }
}

/// GET /images/{name}/history item (Docker's HistoryResponseItem), newest first.
public struct ImageHistoryItem: Codable, Sendable, Equatable {
    /// The image this step made, or `<missing>` when it is not in the store (pulled layers).
    public var Id: String
    /// Unix seconds.
    public var Created: Int64
    public var CreatedBy: String
    public var Tags: [String]?
    public var Size: Int64
    public var Comment: String

    public init(Id: String, Created: Int64, CreatedBy: String, Tags: [String]?, Size: Int64, Comment: String) {
        self.Id = Id; self.Created = Created; self.CreatedBy = CreatedBy; self.Tags = Tags; self.Size = Size
        self.Comment = Comment
    }
}

/// GET /containers/{id}/changes item: Kind 0 modified, 1 added, 2 deleted.
public struct ContainerChange: Codable, Sendable, Equatable {
    public var Path: String
    public var Kind: Int
    public init(Path: String, Kind: Int) { self.Path = Path; self.Kind = Kind }
}

/// POST /build/prune's answer.
public struct BuildCachePruneReport: Codable, Sendable, Equatable {
    public var CachesDeleted: [String]?
    public var SpaceReclaimed: Int64
    public init(CachesDeleted: [String]?, SpaceReclaimed: Int64) {
        self.CachesDeleted = CachesDeleted
        self.SpaceReclaimed = SpaceReclaimed
    }
}

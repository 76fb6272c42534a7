/// One line of an image removal, Docker's `{"Untagged": …}` / `{"Deleted": …}`.
public struct ImageDeleteItem: Codable, Sendable, Equatable {
    public var Untagged: String?
    public var Deleted: String?
    public init(untagged: String) { Untagged = untagged }
    public init(deleted: String) { Deleted = deleted }
}

/// What an image prune removed.
public struct ImagePruneReport: Codable, Sendable {
    public var ImagesDeleted: [ImageDeleteItem]?
    public var SpaceReclaimed: Int64
    public init(ImagesDeleted: [ImageDeleteItem]?, SpaceReclaimed: Int64) {
        self.ImagesDeleted = ImagesDeleted; self.SpaceReclaimed = SpaceReclaimed
    }
}

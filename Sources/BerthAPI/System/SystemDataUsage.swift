/// GET /system/df (Docker's DiskUsage).
public struct SystemDataUsage: Codable, Sendable {
    public var LayersSize: Int64
    public var Images: [ImageSummary]
    public var Containers: [ContainerSummary]
    public var Volumes: [Volume]
    public var BuildCache: [BuildCacheRecord]

    public init(LayersSize: Int64, Images: [ImageSummary], Containers: [ContainerSummary], Volumes: [Volume], BuildCache: [BuildCacheRecord]) {
        self.LayersSize = LayersSize; self.Images = Images; self.Containers = Containers; self.Volumes = Volumes
        self.BuildCache = BuildCache
    }
}

/// One build cache entry of GET /system/df: a cached build step (an image berth keeps for it).
public struct BuildCacheRecord: Codable, Sendable {
    public var ID: String
    public var `Type`: String
    public var Description: String
    public var InUse: Bool
    public var Shared: Bool
    public var Size: Int64
    public var CreatedAt: String
    public var LastUsedAt: String?
    public var UsageCount: Int

    public init(ID: String, Type: String, Description: String, InUse: Bool, Shared: Bool, Size: Int64, CreatedAt: String, LastUsedAt: String?, UsageCount: Int)
    {
        self.ID = ID; self.Type = Type; self.Description = Description; self.InUse = InUse; self.Shared = Shared
        self.Size = Size; self.CreatedAt = CreatedAt; self.LastUsedAt = LastUsedAt; self.UsageCount = UsageCount
    }
}

import BerthCore

/// Docker's Volume (GET /volumes/{name}, items of GET /volumes).
public struct Volume: Codable, Sendable, Equatable {
    public var Name: String
    public var Driver: String
    public var Mountpoint: String
    public var CreatedAt: String
    public var Labels: [String: String]
    public var Scope: String
    public var Options: [String: String]
    /// Size and users, in GET /system/df only.
    public var UsageData: UsageData?

    public struct UsageData: Codable, Sendable, Equatable {
        public var Size: Int64
        public var RefCount: Int64
        public init(Size: Int64, RefCount: Int64) { self.Size = Size; self.RefCount = RefCount }
    }

    public init(
        Name: String, Driver: String, Mountpoint: String, CreatedAt: String, Labels: [String: String],
        Scope: String, Options: [String: String]
    ) {
        self.Name = Name; self.Driver = Driver; self.Mountpoint = Mountpoint; self.CreatedAt = CreatedAt
        self.Labels = Labels; self.Scope = Scope; self.Options = Options
    }
}

/// GET /volumes.
public struct VolumeListResponse: Codable, Sendable {
    public var Volumes: [Volume]
    public var Warnings: [String]
    public init(Volumes: [Volume], Warnings: [String] = []) { self.Volumes = Volumes; self.Warnings = Warnings }
}

/// POST /volumes/create's body.
public struct VolumeCreateRequest: Codable, Sendable {
    public var Name: String?
    public var Labels: [String: String]?
    public var Driver: String?
    public var DriverOpts: [String: String]?
    public init(Name: String?, Labels: [String: String]?, Driver: String? = nil, DriverOpts: [String: String]? = nil) {
        self.Name = Name; self.Labels = Labels; self.Driver = Driver; self.DriverOpts = DriverOpts
    }

    /// berth has the `local` driver, without mount options: anything else is refused as Docker
    /// words a missing plugin, never dropped.
    public func checkDriver() throws {
        let driver = Driver ?? ""
        guard driver.isEmpty || driver == "local" else {
            throw BerthError.notFound("create \(Name ?? ""): error looking up volume plugin \(driver): plugin \"\(driver)\" not found")
        }
        if let k = DriverOpts?.keys.sorted().first {
            throw BerthError.invalid("volume option '\(k)' is not supported: berth's local volumes are plain directories")
        }
    }
}

/// POST /volumes/prune's answer.
public struct VolumePruneReport: Codable, Sendable, Equatable {
    public var VolumesDeleted: [String]?
    public var SpaceReclaimed: Int64
    public init(VolumesDeleted: [String]?, SpaceReclaimed: Int64) {
        self.VolumesDeleted = VolumesDeleted; self.SpaceReclaimed = SpaceReclaimed
    }
}

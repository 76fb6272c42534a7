/// POST /containers/create's answer.
public struct ContainerCreateResponse: Codable, Sendable, Equatable {
    public var Id: String
    public var Warnings: [String]?
    public init(Id: String, Warnings: [String]? = []) { self.Id = Id; self.Warnings = Warnings }
}

/// POST /containers/{id}/wait's answer.
public struct ContainerWaitResponse: Codable, Sendable, Equatable {
    public struct WaitError: Codable, Sendable, Equatable {
        public var Message: String?
        public init(Message: String?) { self.Message = Message }
    }
    public var StatusCode: Int64
    public var Error: WaitError?
    public init(StatusCode: Int64, Error: WaitError? = nil) { self.StatusCode = StatusCode; self.Error = Error }

    enum CodingKeys: String, CodingKey { case StatusCode, Error }

    /// `"Error": null` is written out, as Docker does.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Error, forKey: .Error)
        try c.encode(StatusCode, forKey: .StatusCode)
    }
}

/// POST /containers/prune's answer.
public struct ContainerPruneReport: Codable, Sendable, Equatable {
    public var ContainersDeleted: [String]?
    public var SpaceReclaimed: Int64
    public init(ContainersDeleted: [String]?, SpaceReclaimed: Int64) {
        self.ContainersDeleted = ContainersDeleted; self.SpaceReclaimed = SpaceReclaimed
    }
}

/// POST /containers/{id}/update's body (the parts berth applies) and answer.
public struct ContainerUpdateRequest: Codable, Sendable {
    public var RestartPolicy: HostConfig.RestartPolicy?
    public var Memory: Int64?
    public var MemorySwap: Int64?
    public var MemoryReservation: Int64?
    public var NanoCpus: Int64?
    public var CpuShares: Int64?
    public var CpusetCpus: String?
    public var PidsLimit: Int64?
    public init(RestartPolicy: HostConfig.RestartPolicy?) { self.RestartPolicy = RestartPolicy }

    /// Whether it changes any resource (not only the restart policy).
    public var changesResources: Bool {
        Memory != nil || MemorySwap != nil || MemoryReservation != nil || NanoCpus != nil || CpuShares != nil || CpusetCpus != nil
            || PidsLimit != nil
    }
}

public struct ContainerUpdateResponse: Codable, Sendable, Equatable {
    public var Warnings: [String]
    public init(Warnings: [String] = []) { self.Warnings = Warnings }
}

/// POST /berth/containers/remove: berth's batched `rm A B…` (one request, one transaction).
public struct BatchRemoveRequest: Codable, Sendable, Equatable {
    public var Refs: [String]
    public var Force: Bool?
    public var Volumes: Bool?
    public init(Refs: [String], Force: Bool?, Volumes: Bool?) { self.Refs = Refs; self.Force = Force; self.Volumes = Volumes }
}

/// Docker's generic `{"Id": …}` answer (exec create, commit).
public struct IDResponse: Codable, Sendable, Equatable {
    public var Id: String
    public init(Id: String) { self.Id = Id }
}

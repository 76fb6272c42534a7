/// One container of a bulk removal: its id when removed, else Docker's error text.
public struct RemoveOutcome: Codable, Sendable {
    public var Ref: String
    public var Id: String?
    public var Error: String?
    public init(Ref: String, Id: String? = nil, Error: String? = nil) { self.Ref = Ref; self.Id = Id; self.Error = Error }
}

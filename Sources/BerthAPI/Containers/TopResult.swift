/// GET /containers/{id}/top's answer.
public struct TopResult: Codable, Sendable {
    public var Titles: [String]
    public var Processes: [[String]]
    public init(Titles: [String], Processes: [[String]]) { self.Titles = Titles; self.Processes = Processes }
}

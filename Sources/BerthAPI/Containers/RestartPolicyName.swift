/// Docker's restart policies (`HostConfig.RestartPolicy.Name`); an empty name is `no`.
public enum RestartPolicyName: String, Codable, Sendable, CaseIterable {
    case no
    case always
    case unlessStopped = "unless-stopped"
    case onFailure = "on-failure"

    /// The policy a request names, `""` read as `no`; nil for a name Docker does not know.
    public init?(request name: String?) {
        let n = name ?? ""
        self.init(rawValue: n.isEmpty ? "no" : n)
    }
}

import BerthCore

/// Docker's `network ls --filter` keys: name (substring), id (prefix), driver, label, type.
public struct NetworkFilters: Sendable {
    public static let keys: Set<String> = ["name", "id", "driver", "label", "type", "scope", "dangling"]
    public var filters: [String: [String]]

    public init(_ filters: [String: [String]]) throws {
        for k in filters.keys where !Self.keys.contains(k) { throw BerthError.invalid("invalid filter '\(k)'") }
        self.filters = filters
    }

    public func matches(_ n: NetworkRecord) -> Bool {
        func any(_ key: String, _ test: (String) -> Bool) -> Bool { filters[key].map { $0.contains(where: test) } ?? true }
        let labelsOK =
            filters["label"].map { wanted in
                wanted.allSatisfy { l in
                    let kv = KeyValue.parse(l)
                    return n.labels[kv.key].map { kv.value == nil || $0 == kv.value } ?? false
                }
            } ?? true
        return any("name") { n.name.contains($0) } && any("id") { n.id.hasPrefix($0) } && any("driver") { $0 == n.driver }
            && any("type") { $0 == (n.name == "bridge" ? "builtin" : "custom") } && any("scope") { $0 == "local" } && labelsOK
    }

    /// The networks that match, by name.
    public func list(_ tx: StoreTransaction) throws -> [NetworkRecord] {
        try NetworkStore.list(tx).filter(matches)
    }
}

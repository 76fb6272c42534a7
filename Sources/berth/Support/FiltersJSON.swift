import Foundation

/// Docker's `--filter k=v` list as the API's filters JSON.
func filtersJSON(_ items: [String]) throws -> String {
    var filters: [String: [String: Bool]] = [:]
    for f in items {
        guard let eq = f.firstIndex(of: "=") else { throw CLIError(message: "bad format of filter (expected name=value)", code: 125) }
        filters[String(f[..<eq]), default: [:]][String(f[f.index(after: eq)...])] = true
    }
    return String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
}

/// Docker's `--filter k=v` list by key (both sides non-empty), for the commands that filter from
/// the store themselves.
func filterFlags(_ items: [String]) throws -> [String: [String]] {
    var filters: [String: [String]] = [:]
    for f in items {
        let kv = f.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2 else { throw CLIError(message: "bad format of filter (expected name=value)", code: 125) }
        filters[kv[0], default: []].append(kv[1])
    }
    return filters
}

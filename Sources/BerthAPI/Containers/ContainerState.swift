import BerthCore

/// A container's state as Docker names it (`State.Status`, `ps -f status=`).
public enum ContainerState: String, Codable, Sendable, CaseIterable {
    case created, running, paused, restarting, removing, exited, dead

    /// Docker's `State.Running`: true while paused too.
    public var isRunning: Bool { Self.runningStates.contains(self) }

    /// The states `isRunning` is true in: a process exists, its ports and endpoints are held.
    public static let runningStates: [ContainerState] = [.running, .paused]

    /// States with a run under way (or about to resume): what `ps` lists without `-a`, what
    /// recovery re-adopts and what holds a volume or an address in use.
    public static let live: [ContainerState] = [.running, .paused, .restarting]

    /// A stored state; one the binary does not know reads as `dead` (needs a user's `rm -f`),
    /// everywhere alike.
    public init(stored: String) { self = ContainerState(rawValue: stored) ?? .dead }

    /// `('a','b')` for an SQL `IN` over the `state` column (the states are fixed identifiers).
    public static func sqlList(_ states: [ContainerState]) -> String {
        "(" + states.map { "'\($0.rawValue)'" }.joined(separator: ",") + ")"
    }

    /// Docker's STATUS column: `Up 5 minutes`, `Exited (0) 3 seconds ago`, `Created`…
    /// Times in ns since the epoch; `health` is the health status if the container has a check.
    public func status(exitCode: Int64?, startedAt: Int64?, finishedAt: Int64?, health: String?, now: Int64) -> String {
        let h = health.map { $0 == "starting" ? " (health: starting)" : " (\($0))" } ?? ""
        switch self {
        case .running: return "Up " + Human.duration(nanos: now - (startedAt ?? now)) + h
        case .paused: return "Up " + Human.duration(nanos: now - (startedAt ?? now)) + " (Paused)"
        case .restarting: return "Restarting (\(exitCode ?? 0)) " + Human.duration(nanos: now - (finishedAt ?? now)) + " ago"
        case .exited: return "Exited (\(exitCode ?? 0)) " + Human.duration(nanos: now - (finishedAt ?? now)) + " ago"
        case .removing: return "Removal In Progress"
        case .dead: return "Dead"
        case .created: return "Created"
        }
    }
}

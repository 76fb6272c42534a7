import NIOCore
import Synchronization

/// Bounds on client connections: how many may be open at once, and how long one may sit idle
/// between requests (or stall inside one). Hijacked and streaming responses are not idle.
public struct ConnectionLimits: Sendable {
    /// Open connections at most; more are closed at once (20,000 idle connects once took
    /// every descriptor berthd had).
    public var maxConnections = 1024
    /// A connection with no request in progress, or a request whose bytes stopped coming,
    /// is closed after this long.
    public var idleTimeout: TimeAmount = .seconds(120)

    public init() {}
}

/// Counts open connections across event loops.
final class ConnectionCounter: Sendable {
    private let open = Atomic<Int>(0)

    /// Takes a place; false when the limit is reached (the caller closes the connection).
    func enter(limit: Int) -> Bool {
        let n = open.wrappingAdd(1, ordering: .relaxed).newValue
        if n > limit {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func leave() { open.wrappingSubtract(1, ordering: .relaxed) }

    var count: Int { open.load(ordering: .relaxed) }
}

/// Frees the connection's place when it closes.
final class ConnectionPlace: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let counter: ConnectionCounter

    init(counter: ConnectionCounter) { self.counter = counter }

    func channelInactive(context: ChannelHandlerContext) {
        counter.leave()
        context.fireChannelInactive()
    }
}

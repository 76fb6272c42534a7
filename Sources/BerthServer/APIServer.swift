import BerthAPI
import BerthCore
import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import Synchronization

/// Answers API requests; implemented by berthd's router.
public protocol APIHandler: Sendable {
    func handle(_ request: APIRequest) async -> APIResponse
}

/// The Docker Engine API server on a unix socket (HTTP/1.1, keep-alive). On shutdown it
/// stops accepting, lets in-flight requests finish and closes idle connections.
public final class APIServer: Sendable {
    /// Where it listens: berthd's unix socket, or a loopback TCP address (`--metrics-addr`).
    public enum Listen: Sendable {
        case unix(String)
        case tcp(host: String, port: Int)
    }
    let listen: Listen
    var socketPath: String {
        if case .unix(let p) = listen { return p }
        return ""
    }
    let handler: any APIHandler
    let spoolDir: String
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let quiesce: ServerQuiescingHelper
    let streams = StreamRegistry()
    let limits: ConnectionLimits
    let connections = ConnectionCounter()

    public convenience init(
        socketPath: String, handler: any APIHandler, spoolDir: String, logger: Logger,
        limits: ConnectionLimits = ConnectionLimits()
    ) {
        self.init(listen: .unix(socketPath), handler: handler, spoolDir: spoolDir, logger: logger, limits: limits)
    }

    public init(
        listen: Listen, handler: any APIHandler, spoolDir: String, logger: Logger,
        limits: ConnectionLimits = ConnectionLimits()
    ) {
        self.limits = limits
        self.listen = listen
        self.handler = handler
        self.spoolDir = spoolDir
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        self.quiesce = ServerQuiescingHelper(group: group)
    }

    /// Binds the socket (mode 0660, replacing a stale one) and starts serving.
    public func start() async throws {
        let handler = self.handler
        let spoolDir = self.spoolDir
        let logger = self.logger
        let quiesce = self.quiesce
        let streams = self.streams
        let limits = self.limits
        let connections = self.connections
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            // A hijacked client half-closes to end stdin; the connection must stay up for output.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                guard connections.enter(limit: limits.maxConnections) else {
                    logger.warning("connection refused: \(limits.maxConnections) connections are open")
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    // Built by hand (not configureHTTPServerPipeline) so a hijack can take the
                    // HTTP handlers out again; the decoder then hands on bytes it read ahead.
                    let encoder = HTTPResponseEncoder()
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    let pipelining = HTTPServerPipelineHandler()
                    let errors = HTTPServerProtocolErrorHandler()
                    let idle = IdleStateHandler(readTimeout: limits.idleTimeout)
                    let conn = HTTPConnectionHandler(
                        handler: handler, spoolDir: spoolDir, logger: logger,
                        httpHandlers: [idle, pipelining, errors, decoder, encoder], streams: streams)
                    try channel.pipeline.syncOperations.addHandlers([
                        ConnectionPlace(counter: connections), idle, encoder,
                        decoder, pipelining, errors, conn,
                    ])
                }
            }
        if case .tcp(let host, let port) = listen {
            do {
                _ = try await bootstrap.serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: host, port: port).get()
            } catch {
                throw BerthError(.unavailable, "cannot listen on \(host):\(port): \(error)")
            }
            return
        }
        let old = umask(0o117)
        defer { umask(old) }
        do {
            _ = try await bootstrap.bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).get()
        } catch {
            throw BerthError(.unavailable, "cannot listen on \(socketPath): \(error)")
        }
        // root (and the optional berth group, as docker's group) only.
        chmod(socketPath, RootPermissions.socketMode)
        if let g = RootPermissions.accessGroup() {
            chown(socketPath, 0, g)
            let dir = (socketPath as NSString).deletingLastPathComponent
            chown(dir, 0, g)
            chmod(dir, 0o710)
        }
    }

    /// Stops accepting, waits for in-flight requests, closes connections. Open-ended streams
    /// (wait, logs -f, events) end at once: they would otherwise hold berthd for ever.
    public func shutdown() async {
        let promise = group.next().makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: promise)
        streams.cancelAll()
        try? await promise.futureResult.get()
        // The event loops are left to the process exit: channels closed by the quiescing
        // helper still schedule their last callbacks on them.
    }
}

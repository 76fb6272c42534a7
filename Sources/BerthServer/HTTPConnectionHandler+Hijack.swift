import BerthAPI
import BerthCore
import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import Synchronization

extension HTTPConnectionHandler {
    /// Takes the connection over: the HTTP handlers leave the pipeline, the head is written as
    /// bytes, and the session runs on its own thread with raw reads and writes.
    func hijack(context: ChannelHandlerContext, _ r: APIResponse, _ session: any HijackSession) {
        let channel = context.channel
        let raw = RawStreamHandler(session: session)
        do {
            let sync = context.pipeline.syncOperations
            try sync.addHandler(raw, position: .before(self))
            _ = sync.removeHandler(context: context)
            for h in httpHandlers { _ = sync.removeHandler(h) }
        } catch {
            logger.warning("hijack failed: \(error)")
            context.close(promise: nil)
            session.disconnected()
            return
        }
        var head = "HTTP/1.1 \(r.status) \(r.status == 101 ? "UPGRADED" : "OK")\r\n"
        for (k, v) in r.headers { head += "\(k): \(v)\r\n" }
        head += "Api-Version: \(APIVersion.current)\r\nServer: berth/\(APIVersion.serverVersion) (linux)\r\n\r\n"
        channel.writeAndFlush(ByteBuffer(string: head)).whenComplete { result in
            guard case .success = result else {
                session.disconnected()
                return
            }
            Thread.detachNewThread {
                Self.awaitHeadRead(channel)
                session.run { data in
                    try channel.writeAndFlush(ByteBuffer(bytes: data)).wait()
                }
                channel.close(promise: nil)
            }
        }
    }
}

extension HTTPConnectionHandler {
    /// Waits (at most a second) until the client has read the response head. Clients that parse
    /// the head with a buffered reader and then read the bare socket (docker-py: http.client,
    /// then `fp.raw`) lose stream bytes that arrived with the head; Docker has the same race,
    /// seen as an empty `attach(logs=True)` on a loaded machine. On a unix socket, the bytes a
    /// peer has not read yet stay charged to the sender (`SO_MEMINFO`'s wmem_alloc).
    static func awaitHeadRead(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else { return }
        for _ in 0..<500 {
            let info: EventLoopFuture<SocketMemInfo> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(55))  // SO_MEMINFO
            guard let m = try? info.wait(), m.vars.2 != 0 else { return }
            usleep(2000)
        }
    }
}

/// `SO_MEMINFO`'s counters (`SK_MEMINFO_VARS`, 9 on current kernels; a shorter list is zero-filled).
struct SocketMemInfo: Sendable {
    var vars: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
}

/// The raw side of a hijacked connection: client bytes to the session.
final class RawStreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let session: any HijackSession

    init(session: any HijackSession) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buf = unwrapInboundIn(data)
        session.received(Data(buf.readableBytesView))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed {
            session.inputEnded()
        } else if event is ChannelShouldQuiesceEvent {
            // berthd is shutting down: the client goes, the container stays.
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.disconnected()
    }
}

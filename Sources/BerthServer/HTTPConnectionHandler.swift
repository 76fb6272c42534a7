import BerthAPI
import BerthCore
import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import Synchronization

/// One connection: gathers a request (spooling big uploads to disk), asks the handler,
/// writes the response.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: any APIHandler
    let spoolDir: String
    let logger: Logger
    var head: HTTPRequestHead?
    var body = Data()
    var spool: (fd: Int32, path: String)?
    var failed: BerthError?
    /// Requests received and not yet fully answered: while any is, the connection is not idle.
    var inFlight = 0
    /// The HTTP handlers in the order a hijack removes them.
    let httpHandlers: [any RemovableChannelHandler]

    let streams: StreamRegistry
    /// Heard by the work of this connection's requests, and its streaming responses, when it
    /// closes: a producer (a pull, a build, a log follower) stops instead of working for no one.
    let end = ConnectionEnd()

    init(
        handler: any APIHandler, spoolDir: String, logger: Logger, httpHandlers: [any RemovableChannelHandler],
        streams: StreamRegistry
    ) {
        self.handler = handler
        self.spoolDir = spoolDir
        self.logger = logger
        self.httpHandlers = httpHandlers
        self.streams = streams
    }

    static let maxMemoryBody = 32 << 20

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = Data()
            failed = nil
            if Self.wantsSpool(h) {
                do {
                    try FileOps.makeDirs(spoolDir, mode: 0o700)
                    let path = spoolDir + "/upload-" + Identifier.random().prefix(16)
                    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                    if fd < 0 { throw BerthError.posix("create \(path)") }
                    spool = (fd, path)
                } catch {
                    failed = BerthError.from(error)
                }
            }
        case .body(var buf):
            guard failed == nil else { return }
            if let s = spool {
                while buf.readableBytes > 0 {
                    let n = buf.withUnsafeReadableBytes { write(s.fd, $0.baseAddress, $0.count) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        failed = BerthError.posix("write upload")
                        return
                    }
                    buf.moveReaderIndex(forwardBy: n)
                }
            } else {
                if body.count + buf.readableBytes > Self.maxMemoryBody {
                    failed = BerthError.invalid("request body too large")
                    return
                }
                buf.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            }
        case .end:
            guard let h = head else { return }
            head = nil
            var bodyFile: String?
            if let s = spool {
                close(s.fd)
                bodyFile = s.path
                spool = nil
            }
            // An answer to a request berthd could not take in whole ends the connection: what
            // the client still sends cannot be read as a next request.
            let keepAlive = h.isKeepAlive && failed == nil
            let isHead = h.method == .HEAD
            inFlight += 1
            let eventLoop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
            if let f = failed {
                if let bodyFile { unlink(bodyFile) }
                respond(context: context, APIResponse.error(f), keepAlive: keepAlive, isHead: isHead)
                return
            }
            var request = Self.makeRequest(h, body: body, bodyFile: bodyFile)
            request.connection = end
            body = Data()
            let handler = self.handler
            Task {
                let response = await handler.handle(request)
                if let bodyFile { unlink(bodyFile) }
                eventLoop.execute {
                    let (me, ctx) = bound.value
                    me.respond(context: ctx, response, keepAlive: keepAlive, isHead: isHead)
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let s = spool { close(s.fd); unlink(s.path); spool = nil }
        // A stream that sends nothing for long would not notice otherwise.
        end.end()
        context.fireChannelInactive()
    }

    /// No bytes for the idle timeout: closed unless a request is being answered (a wait, a
    /// log follower or an event stream sends nothing for long, and that is fine).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? IdleStateHandler.IdleStateEvent, e == .read {
            if inFlight == 0 { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request NIO could not parse was answered 400 `Connection: close` by the protocol error
    /// handler: the connection ends, as that header says (nothing after it can be read as HTTP).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    /// A response went out whole.
    func answered() { inFlight = max(0, inFlight - 1) }

    static func wantsSpool(_ h: HTTPRequestHead) -> Bool {
        let path = h.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? h.uri
        if h.method == .PUT { return path.hasSuffix("/archive") }
        guard h.method == .POST else { return false }
        // Build contexts are often far over the in-memory limit (a Docker context of 500 MB is common).
        return path.hasSuffix("/images/load") || path.hasSuffix("/images/create") || path.hasSuffix("/build")
    }

    static func makeRequest(_ h: HTTPRequestHead, body: Data, bodyFile: String?) -> APIRequest {
        let parts = h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var path = String(parts.first ?? "")
        path = path.removingPercentEncoding ?? path
        // Strip the /v1.NN prefix clients put in front.
        if path.hasPrefix("/v"), let slash = path.dropFirst(2).firstIndex(of: "/") {
            let version = path[path.index(path.startIndex, offsetBy: 2)..<slash]
            if version.allSatisfy({ $0.isNumber || $0 == "." }) && !version.isEmpty {
                path = String(path[slash...])
            }
        }
        var query: [String: [String]] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func dec(_ s: Substring) -> String {
                    let plus = s.replacingOccurrences(of: "+", with: " ")
                    return plus.removingPercentEncoding ?? plus
                }
                query[dec(kv[0]), default: []].append(kv.count > 1 ? dec(kv[1]) : "")
            }
        }
        var headers: [String: String] = [:]
        for (k, v) in h.headers { headers[k.lowercased()] = v }
        return APIRequest(
            method: h.method.rawValue, path: path, query: query, headers: headers,
            body: body, bodyFile: bodyFile)
    }

    /// Sends each chunk as it is produced, flushing it at once; ends the response after the last.
    func streamBody(context: ChannelHandlerContext, _ chunks: AsyncThrowingStream<Data, any Error>, keepAlive: Bool) {
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
        let streams = self.streams
        let key = streams.reserve()
        let end = self.end
        let task = Task {
            defer { streams.remove(key) }
            do {
                for try await chunk in chunks where !chunk.isEmpty {
                    let sent = eventLoop.flatSubmit {
                        let (me, ctx) = bound.value
                        return ctx.writeAndFlush(me.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: chunk)))))
                    }
                    // Stop producing when the client went away.
                    try await sent.get()
                }
            } catch {}
            eventLoop.execute {
                let (me, ctx) = bound.value
                me.answered()
                let done = ctx.writeAndFlush(me.wrapOutboundOut(.end(nil)))
                if !keepAlive {
                    let c = NIOLoopBound(ctx, eventLoop: eventLoop)
                    done.whenComplete { _ in c.value.close(promise: nil) }
                }
            }
        }
        streams.add(key, task)
        // The client gone: the stream's reading ends, which its producer hears as its termination.
        let token = end.onEnd { task.cancel() }
        Task {
            await task.value
            end.forget(token)
        }
    }

    func respond(context: ChannelHandlerContext, _ r: APIResponse, keepAlive: Bool, isHead: Bool) {
        if case .hijack(let session) = r.body {
            hijack(context: context, r, session)
            return
        }
        var headers = HTTPHeaders()
        for (k, v) in r.headers { headers.add(name: k, value: v) }
        headers.replaceOrAdd(name: "Api-Version", value: APIVersion.current)
        headers.replaceOrAdd(name: "Server", value: "berth/\(APIVersion.serverVersion) (linux)")
        headers.replaceOrAdd(name: "Ostype", value: "linux")
        headers.replaceOrAdd(name: "Docker-Experimental", value: "false")
        var file: (NIOFileHandle, FileRegion, String, Bool)?
        switch r.body {
        case .data(let d):
            headers.replaceOrAdd(name: "Content-Length", value: String(d.count))
        case .empty:
            headers.replaceOrAdd(name: "Content-Length", value: "0")
        case .stream:
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        case .hijack:
            break
        case .file(let path, let del):
            do {
                let fh = try NIOFileHandle(_deprecatedPath: path)
                var st = stat()
                fstat(try fh.withUnsafeFileDescriptor { $0 }, &st)
                let region = FileRegion(fileHandle: fh, readerIndex: 0, endIndex: Int(st.st_size))
                headers.replaceOrAdd(name: "Content-Length", value: String(st.st_size))
                file = (fh, region, path, del)
            } catch {
                if del { unlink(path) }
                respond(
                    context: context, .error(BerthError.internal("cannot send \(path): \(error)")),
                    keepAlive: keepAlive, isHead: isHead)
                return
            }
        }
        // A handler that says `Connection: close` means it.
        let keepAlive = keepAlive && !r.headers.contains { $0.0.lowercased() == "connection" && $0.1.lowercased() == "close" }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: r.status),
            headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if case .stream(let chunks) = r.body, !isHead {
            context.flush()
            streamBody(context: context, chunks, keepAlive: keepAlive)
            return
        }
        if !isHead {
            switch r.body {
            case .data(let d) where !d.isEmpty:
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: d)))), promise: nil)
            case .file:
                if let (_, region, _, _) = file {
                    context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
                }
            default:
                break
            }
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let fileToClose = file.map { NIOLoopBound($0.0, eventLoop: context.eventLoop) }
        let cleanup = file.flatMap { $0.3 ? $0.2 : nil }
        answered()
        done.whenComplete { _ in
            try? fileToClose?.value.close()
            if let cleanup { unlink(cleanup) }
            if !keepAlive { loopBound.value.close(promise: nil) }
        }
    }
}

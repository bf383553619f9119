import CoreMetrics
import Logging
import NIOCore
import NIOHTTP1
import RouterData

/// One client connection of the proxy: routes each request, forwards it to a pooled backend
/// connection and streams both bodies, pausing the faster side when the other cannot keep up.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, BackendDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Phase {
        case idle
        case connecting
        case forwarding
        /// The response (an error) is written; the rest of the request is read and dropped.
        case discarding
        /// Switched protocols: the connection is a raw relay now, this handler is on its way out.
        case upgraded
    }

    private struct Upstream {
        let backend: Backend
        let index: Int
        let pool: Pool
        let channel: any Channel
        let handler: BackendHandler
    }

    let tables: TableSource
    let pools: BackendPools
    let ejections: Ejections
    let configuration: ProxyConfiguration
    let metrics: ProxyMetrics
    let logger: Logger

    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    private var request: HTTPRequestHead?
    private var clientKeepAlive = true
    private var pending: [HTTPClientRequestPart] = []
    private var requestEnded = false
    private var bodyBytes = 0
    private var upstream: Upstream?
    private var upstreamReusable = true
    private var responseStarted = false
    private var attempts = 0
    private var excluded: Set<Int> = []
    private var responseTimer: Scheduled<Void>?
    private var responseDeadline: NIODeadline?
    private var startedAt = NIODeadline.now()
    /// Bumped per request, so late callbacks of an earlier request are ignored.
    private var generation = 0
    private var readPaused = false
    private var pendingRead = false
    /// An error decided at the head of a request without a body, sent at its end (keeps the connection).
    private var deferredError: (HTTPResponseStatus, String)?
    /// Parts of pipelined requests that arrived before the current exchange ended.
    private var queued: [HTTPServerRequestPart] = []

    init(
        tables: TableSource, pools: BackendPools, ejections: Ejections, configuration: ProxyConfiguration,
        metrics: ProxyMetrics, logger: Logger
    ) {
        self.tables = tables
        self.pools = pools
        self.ejections = ejections
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// The client's address for `X-Forwarded-For`, formatted once per connection.
    private var clientAddress = "unknown"

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let ip = context.channel.remoteAddress?.ipAddress { clientAddress = ip }
    }

    func channelActive(context: ChannelHandlerContext) {
        if let ip = context.channel.remoteAddress?.ipAddress { clientAddress = ip }
        context.fireChannelActive()
    }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Client side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // A pipelined request (sent before the previous response ended) waits its turn.
        if !queued.isEmpty || (phase != .idle && phase != .upgraded && requestEnded && isHead(part)) {
            queued.append(part)
            pauseClientReads()
            return
        }
        handle(part, context: context)
    }

    private func isHead(_ part: HTTPServerRequestPart) -> Bool {
        if case .head = part { return true }
        return false
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head): start(head, context: context)
        case .body(let buffer): body(buffer, context: context)
        case .end(let trailers): end(trailers, context: context)
        }
    }

    /// Once an exchange is over, the requests the client pipelined meanwhile are handled, one
    /// exchange at a time.
    private func drainQueued() {
        guard let context else { return }
        while let part = queued.first {
            if isHead(part) && phase != .idle { return }
            queued.removeFirst()
            handle(part, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.channel.flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        responseTimer?.cancel()
        responseTimer = nil
        if let upstream {
            // The exchange is cut short: the backend connection cannot be reused.
            upstream.handler.delegate = nil
            upstream.pool.end(upstream.index)
            upstream.channel.close(promise: nil)
            self.upstream = nil
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { upstream?.handler.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, phase == .idle {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if readPaused {
            pendingRead = true
        } else {
            context.read()
        }
    }

    private func pauseClientReads() { readPaused = true }

    private func resumeClientReads() {
        if !queued.isEmpty {
            // Handle what was pipelined first; reading resumes when the queue is empty.
            if phase == .idle, let context {
                context.eventLoop.assumeIsolated().execute { self.drainQueued(); if self.queued.isEmpty { self.resumeClientReads() } }
            }
            return
        }
        guard readPaused else { return }
        readPaused = false
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    private func start(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        generation += 1
        request = head
        clientKeepAlive = head.isKeepAlive
        pending = []
        requestEnded = false
        bodyBytes = 0
        upstreamReusable = true
        responseStarted = false
        attempts = 0
        excluded = []
        deferredError = nil
        startedAt = .now()
        metrics.requests.increment()

        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > configuration.maxBodyBytes {
            return fail(.payloadTooLarge, "request body larger than \(configuration.maxBodyBytes) bytes\n")
        }
        let host = head.headers.first(name: "host") ?? ""
        let table = tables.current
        guard let (rule, pool) = table.route(host: host[...], target: head.uri[...], header: { head.headers.first(name: $0) })
        else {
            return fail(.notFound, "no route for \(host)\(head.uri)\n")
        }
        guard let pool, !pool.backends.isEmpty else {
            return fail(.serviceUnavailable, "no healthy backend for route \(rule.name)\n")
        }
        var headers = head.headers
        HopByHop.strip(&headers)
        let client = clientAddress
        if let prior = headers.first(name: "x-forwarded-for") {
            headers.replaceOrAdd(name: "x-forwarded-for", value: "\(prior), \(client)")
        } else {
            headers.add(name: "x-forwarded-for", value: client)
        }
        headers.replaceOrAdd(name: "x-forwarded-proto", value: "http")
        if !headers.contains(name: "x-forwarded-host") { headers.add(name: "x-forwarded-host", value: host) }
        // The proxy answers `Expect: 100-continue` itself: it streams the body anyway.
        if headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            headers.remove(name: "expect")
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        var backendHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
        backendHead.headers.remove(name: "connection")
        // A protocol upgrade (WebSocket) is passed on; after a 101 the connection becomes a byte relay.
        if let upgrade = head.headers.first(name: "upgrade") {
            backendHead.headers.add(name: "connection", value: "upgrade")
            backendHead.headers.add(name: "upgrade", value: upgrade)
        }
        pending = [.head(backendHead)]
        phase = .connecting
        connect(pool: pool, context: context)
    }

    private func body(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        bodyBytes += buffer.readableBytes
        switch phase {
        case .discarding, .idle, .upgraded:
            return
        case .connecting:
            guard bodyBytes <= configuration.maxBodyBytes else {
                return fail(.payloadTooLarge, "request body larger than \(configuration.maxBodyBytes) bytes\n")
            }
            pending.append(.body(.byteBuffer(buffer)))
            if pending.count > 64 { pauseClientReads() }  // bounded while the connection opens
        case .forwarding:
            guard bodyBytes <= configuration.maxBodyBytes else {
                if responseStarted {
                    context.close(promise: nil)
                } else {
                    dropUpstream()
                    fail(.payloadTooLarge, "request body larger than \(configuration.maxBodyBytes) bytes\n")
                }
                return
            }
            guard let upstream else { return }
            upstream.channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            if !upstream.channel.isWritable { pauseClientReads() }
        }
    }

    private func end(_ trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        requestEnded = true
        switch phase {
        case .discarding:
            phase = .idle
            if let (status, message) = deferredError {
                deferredError = nil
                fail(status, message)
            }
        case .idle, .upgraded:
            break
        case .connecting:
            pending.append(.end(trailers))
        case .forwarding:
            upstream?.channel.writeAndFlush(HTTPClientRequestPart.end(trailers), promise: nil)
        }
    }

    // MARK: Backend selection

    private func connect(pool: Pool, context: ChannelHandlerContext) {
        let ejected = ejections.ejected(in: pool)
        guard let index = pool.pick(excluding: excluded.union(ejected)) ?? pool.pick(excluding: excluded) else {
            return fail(.badGateway, "could not reach any backend of pool \(pool.name)\n")
        }
        guard let backendPool = pools.pool(for: context.eventLoop) else {
            return fail(.internalServerError, "router misconfigured: no connection pool for this event loop\n")
        }
        attempts += 1
        pool.begin(index)
        let backend = pool.backends[index]
        let generation = self.generation
        backendPool.acquire(backend).assumeIsolated().whenComplete { result in
            let result = result.flatMap { channel in
                Result { (channel, try channel.pipeline.syncOperations.handler(type: BackendHandler.self)) }
            }
            guard generation == self.generation, self.phase == .connecting, let context = self.context else {
                pool.end(index)
                if case .success(let (channel, handler)) = result { backendPool.release(backend, channel, handler) }
                return
            }
            switch result {
            case .success(let (channel, handler)):
                handler.delegate = self
                self.upstream = Upstream(backend: backend, index: index, pool: pool, channel: channel, handler: handler)
                self.phase = .forwarding
                for part in self.pending { channel.write(part, promise: nil) }
                self.pending = []
                channel.flush()
                self.resumeClientReads()
                self.armResponseTimer(context: context)
            case .failure(let error):
                pool.end(index)
                self.ejections.eject(backend, for: self.configuration.ejectFor)
                self.metrics.upstreamError(pool: pool.name, "connect")
                self.logger.warning("router.connect_failed", metadata: ["backend": "\(backend)", "error": "\(error)"])
                self.excluded.insert(index)
                if self.attempts < 2, self.request.map({ Self.isIdempotent($0.method) }) == true,
                    self.excluded.count < pool.backends.count
                {
                    self.connect(pool: pool, context: context)
                } else if case ChannelError.connectTimeout = error {
                    self.fail(.gatewayTimeout, "backend \(backend) did not accept a connection in time\n")
                } else {
                    self.fail(.badGateway, "could not connect to backend \(backend)\n")
                }
            }
        }
    }

    /// Arms the response deadline. One timer per connection checks it, rescheduled only when it
    /// fires early: no timer is scheduled and cancelled per request on the hot path.
    private func armResponseTimer(context: ChannelHandlerContext) {
        responseDeadline = .now() + configuration.responseTimeout.timeAmount
        guard responseTimer == nil else { return }
        scheduleResponseCheck(at: responseDeadline!, context: context)
    }

    private func scheduleResponseCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        responseTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.responseTimer = nil
            guard let due = self.responseDeadline, !self.responseStarted, self.upstream != nil else { return }
            if due > .now() {
                self.scheduleResponseCheck(at: due, context: context)
                return
            }
            self.responseDeadline = nil
            if let pool = self.upstream?.pool.name { self.metrics.upstreamError(pool: pool, "timeout") }
            self.dropUpstream()
            self.fail(.gatewayTimeout, "backend did not answer within \(self.configuration.responseTimeout)\n")
        }
    }

    static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: return true
        default: return false
        }
    }

    // MARK: Backend side

    func backendReceived(_ part: HTTPClientResponsePart) {
        guard let context, let request, phase != .upgraded else { return }
        switch part {
        case .head(let head) where head.status == .switchingProtocols && request.headers.contains(name: "upgrade"):
            upgrade(head, context: context)
        case .head(let head) where head.status.code < 200 && head.status.code != 101:
            return  // informational (100 Continue, 103 Early Hints): not the response
        case .head(let head):
            responseDeadline = nil
            responseStarted = true
            if !head.isKeepAlive { upstreamReusable = false }
            var headers = head.headers
            HopByHop.strip(&headers)
            if !clientKeepAlive { headers.add(name: "connection", value: "close") }
            metrics.response(head.status.code)
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: head.status, headers: headers))),
                promise: nil)
        case .body(let buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if !context.channel.isWritable { upstream?.handler.pauseReading() }
        case .end(let trailers):
            // The end of an informational response: the real one follows.
            guard responseStarted else { return }
            finishExchange(trailers: trailers, context: context)
        }
    }

    func backendReadComplete() {
        context?.flush()
    }

    func backendClosed() {
        guard let context, let upstream else { return }
        upstream.handler.delegate = nil
        upstream.pool.end(upstream.index)
        self.upstream = nil
        responseDeadline = nil
        metrics.upstreamError(pool: upstream.pool.name, "closed")
        if responseStarted {
            context.close(promise: nil)  // the response is cut short: the client must see it
        } else {
            ejections.eject(upstream.backend, for: configuration.ejectFor)
            fail(.badGateway, "backend \(upstream.backend) closed the connection without answering\n")
        }
    }

    func backendFailed(_ error: any Error) {
        logger.debug("router.backend_error", metadata: ["error": "\(error)"])
    }

    func backendWritabilityChanged(writable: Bool) {
        if writable { resumeClientReads() }
    }

    private func finishExchange(trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        metrics.latency.recordNanoseconds((NIODeadline.now() - startedAt).nanoseconds)
        if let upstream {
            upstream.pool.end(upstream.index)
            self.upstream = nil
            if upstreamReusable && requestEnded, let pool = pools.pool(for: context.eventLoop) {
                pool.release(upstream.backend, upstream.channel, upstream.handler)
            } else {
                upstream.handler.delegate = nil
                upstream.channel.close(promise: nil)
            }
        }
        let keepOpen = clientKeepAlive && requestEnded
        phase = requestEnded ? .idle : .discarding
        if keepOpen {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
        resumeClientReads()
    }

    /// Answers 101 and turns both connections into a byte relay: the upgraded connection no
    /// longer depends on the routing table, so route changes never drop it.
    private func upgrade(_ head: HTTPResponseHead, context: ChannelHandlerContext) {
        guard let upstream, let request else { return }
        responseDeadline = nil
        responseStarted = true
        phase = .upgraded
        metrics.response(head.status.code)
        upstream.pool.end(upstream.index)
        upstream.handler.delegate = nil
        self.upstream = nil
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .switchingProtocols, headers: head.headers))),
            promise: nil)
        // Rebuild the pipelines once the decoders have finished the current read: parts they
        // still emit (the 101's end) must reach HTTP handlers, not the relay.
        context.eventLoop.assumeIsolated().execute {
            self.switchToRelay(upstream: upstream, context: context)
        }
    }

    private func switchToRelay(upstream: Upstream, context: ChannelHandlerContext) {
        let (clientSide, backendSide) = RelayHandler.pair()
        do {
            let backendOps = upstream.channel.pipeline.syncOperations
            var backendHTTP: [any RemovableChannelHandler] = [upstream.handler]
            if let h = try? backendOps.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self) { backendHTTP.append(h) }
            if let h = try? backendOps.handler(type: HTTPRequestEncoder.self) { backendHTTP.append(h) }
            if let h = try? backendOps.handler(type: NIOHTTPRequestHeadersValidator.self) { backendHTTP.append(h) }
            try RelayHandler.install(backendSide, on: upstream.channel, replacing: backendHTTP)

            let clientOps = context.pipeline.syncOperations
            var clientHTTP: [any RemovableChannelHandler] = [self]
            if let h = try? clientOps.handler(type: IdleStateHandler.self) { clientHTTP.append(h) }
            if let h = try? clientOps.handler(type: HTTPServerProtocolErrorHandler.self) { clientHTTP.append(h) }
            if let h = try? clientOps.handler(type: HTTPServerPipelineHandler.self) { clientHTTP.append(h) }
            if let h = try? clientOps.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) { clientHTTP.append(h) }
            if let h = try? clientOps.handler(type: HTTPResponseEncoder.self) { clientHTTP.append(h) }
            if let h = try? clientOps.handler(type: NIOHTTPResponseHeadersValidator.self) { clientHTTP.append(h) }
            try RelayHandler.install(clientSide, on: context.channel, replacing: clientHTTP)
            context.channel.read()
            upstream.channel.read()
        } catch {
            logger.warning("router.upgrade_failed", metadata: ["error": "\(error)"])
            upstream.channel.close(promise: nil)
            context.close(promise: nil)
        }
    }

    private func dropUpstream() {
        guard let upstream else { return }
        upstream.handler.delegate = nil
        upstream.pool.end(upstream.index)
        upstream.channel.close(promise: nil)
        self.upstream = nil
    }

    /// Answers with a short error; closes the connection if the request is not fully read.
    private func fail(_ status: HTTPResponseStatus, _ message: String) {
        guard let context, let request else { return }
        responseDeadline = nil
        let hasBody = request.headers.contains(name: "transfer-encoding")
            || (request.headers.first(name: "content-length").flatMap(Int.init) ?? 0) > 0
        if !requestEnded && !hasBody && !responseStarted {
            deferredError = (status, message)
            phase = .discarding
            return
        }
        metrics.response(status.code)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(message.utf8.count))
        let close = !clientKeepAlive || !requestEnded
        if close { headers.add(name: "connection", value: "close") }
        responseStarted = true
        phase = requestEnded ? .idle : .discarding
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        var body = context.channel.allocator.buffer(capacity: message.utf8.count)
        body.writeString(message)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        resumeClientReads()
    }
}

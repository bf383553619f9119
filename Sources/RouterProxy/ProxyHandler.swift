import CoreMetrics
import Logging
import NIOCore
import RouterData

/// One client connection of the proxy. It reads HTTP/1.1 itself (`HeadParser`, `BodyReader`):
/// routes each request by its head, writes a rewritten head to a pooled backend connection, and
/// forwards bodies as the bytes that came, with their framing, pausing the faster side when the
/// other cannot keep up. Pipelined requests wait in the read buffer for their turn.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, BackendDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case idle
        case connecting
        case forwarding
        /// The response (an error) is written; the rest of the request is read and dropped.
        case discarding
        /// Switched protocols: the connection is a raw relay now, this handler is on its way out.
        case upgraded
        /// A malformed request was answered; the connection closes.
        case closing
    }

    private struct Upstream {
        let backend: Backend
        let index: Int
        let pool: Pool
        let connection: BackendConnection
        var channel: any Channel { connection.channel }
        var handler: BackendHandler { connection.handler }
    }

    let tables: TableSource
    let pools: PerLoop<BackendConnectionPool>
    let counts: PerLoop<LoopCounts>
    /// This connection's event loop's pool and counts, looked up once.
    private var backendPool: BackendConnectionPool?
    private var loopCounts: LoopCounts?
    let ejections: Ejections
    let configuration: ProxyConfiguration
    let metrics: ProxyMetrics
    let logger: Logger

    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    /// Client bytes not yet handled: the rest of a read, or pipelined requests waiting their turn.
    private var inbound: ByteBuffer?
    /// The body of the current request, while it is being read.
    private var requestBody: BodyReader?
    private var processing = false
    /// Writes made but not flushed yet, on each side: each side is flushed once per batch of
    /// work, not once per write.
    private var upstreamUnflushed = false
    private var clientUnflushed = false

    // The current exchange.
    /// What the exchange needs of its request once the head is forwarded. The head itself is not
    /// kept: it is a slice of the read buffer, which NIO reuses for the next read only when
    /// nothing else holds it.
    private var hasRequest = false
    private var requestMinorVersion = 1
    private var requestIdempotent = false
    private var requestHasBody = false
    private var requestIsHEAD = false
    private var wantsUpgrade = false
    private var clientKeepAlive = true
    private var pending: [ByteBuffer] = []
    private var requestEnded = false
    private var bodyBytes = 0
    private var upstream: Upstream?
    private var upstreamReusable = true
    private var responseStarted = false
    /// The response has no length: the client connection closes after it.
    private var closeAfterResponse = false
    private var backendInbound: ByteBuffer?
    private var responseBody: BodyReader?
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
    private var deferredError: (Int, String)?
    /// When the connection last finished an exchange (or opened): idle since then if no exchange runs.
    private var lastActive = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?
    private var table = RoutingTable.empty
    private var tableGeneration = -1

    init(
        tables: TableSource, pools: PerLoop<BackendConnectionPool>, counts: PerLoop<LoopCounts>, ejections: Ejections, configuration: ProxyConfiguration,
        metrics: ProxyMetrics, logger: Logger
    ) {
        self.tables = tables
        self.pools = pools
        self.counts = counts
        self.ejections = ejections
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// The client's address for `X-Forwarded-For`, formatted once per connection.
    private var clientAddress = "unknown"

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        backendPool = pools.value(for: context.eventLoop)
        loopCounts = counts.value(for: context.eventLoop)
        if let ip = context.channel.remoteAddress?.ipAddress { clientAddress = ip }
    }

    func channelActive(context: ChannelHandlerContext) {
        if let ip = context.channel.remoteAddress?.ipAddress { clientAddress = ip }
        lastActive = .now()
        scheduleIdleCheck(at: lastActive + configuration.idleTimeout.timeAmount, context: context)
        context.fireChannelActive()
    }

    /// Closes the connection once it has been idle for `idleTimeout`: one timer per connection,
    /// moved on only when it fires, never touched per request.
    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.idleTimer = nil
            guard self.context != nil, self.phase != .upgraded else { return }
            let due = self.lastActive + self.configuration.idleTimeout.timeAmount
            let now = NIODeadline.now()
            if self.phase != .idle {
                // An exchange is running (however long): look again one idle period from now.
                self.scheduleIdleCheck(at: now + self.configuration.idleTimeout.timeAmount, context: context)
            } else if due <= now {
                context.close(promise: nil)
            } else {
                self.scheduleIdleCheck(at: due, context: context)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Client side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if phase == .closing { return }
        if inbound == nil || inbound!.readableBytes == 0 {
            inbound = buffer
        } else {
            inbound!.writeImmutableBuffer(buffer)
        }
        processInbound()
    }

    /// Handles buffered client bytes as far as the current exchange allows.
    private func processInbound() {
        guard !processing, context != nil else { return }
        processing = true
        defer { processing = false }
        while let input = inbound, input.readableBytes > 0, phase != .upgraded, phase != .closing, step() {}
        if let input = inbound, input.readableBytes == 0 { inbound = nil }
        if upstreamUnflushed {
            upstreamUnflushed = false
            upstream?.channel.flush()
        }
    }

    /// One step over buffered client bytes; false when nothing more can be done until more bytes
    /// come or the current exchange ends.
    private func step() -> Bool {
        if var body = requestBody {
            var input = inbound!
            inbound = nil
            let slice: ByteBuffer?
            do {
                slice = try body.take(from: &input)
            } catch {
                inbound = nil
                requestBody = nil
                refuse(error)
                return false
            }
            inbound = input
            requestBody = body
            if let slice { forward(body: slice) }
            if body.isComplete {
                requestBody = nil
                endRequest()
                return true
            }
            return slice != nil
        }
        // A pipelined request waits until the current exchange is over.
        guard phase == .idle else {
            pauseClientReads()
            return false
        }
        let parsed: (head: RequestHead, length: Int)?
        let framing: BodyReader
        do {
            parsed = try HeadParser.request(inbound!, maxBytes: configuration.maxHeadBytes)
            guard let parsed else { return false }
            inbound!.moveReaderIndex(forwardBy: parsed.length)
            framing = try BodyReader.request(parsed.head)
        } catch {
            refuse(error)
            return false
        }
        start(parsed!.head, framing: framing)
        if framing.isComplete {
            endRequest()
        } else {
            requestBody = framing
        }
        return true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        responseTimer?.cancel()
        responseTimer = nil
        idleTimer?.cancel()
        idleTimer = nil
        if let upstream {
            // The exchange is cut short: the backend connection cannot be reused.
            upstream.handler.delegate = nil
            upstream.pool.end(upstream.index)
            upstream.channel.close(promise: nil)
            self.upstream = nil
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("router.client_error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { upstream?.handler.resumeReading() }
        context.fireChannelWritabilityChanged()
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
        guard readPaused else { return }
        // A pipelined request still waits: reading more would only grow the buffer.
        if requestBody == nil, phase != .idle, let inbound, inbound.readableBytes > 0 { return }
        readPaused = false
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    private func start(_ head: RequestHead, framing: BodyReader) {
        generation += 1
        hasRequest = true
        requestMinorVersion = head.minorVersion
        requestIdempotent = Self.isIdempotent(head)
        let connection = head.fields.connectionOptions
        clientKeepAlive = head.minorVersion == 1 ? !connection.close : connection.keepAlive
        requestHasBody = !framing.isComplete
        requestIsHEAD = head.methodIs("HEAD")
        pending.removeAll(keepingCapacity: true)
        requestEnded = false
        bodyBytes = 0
        upstreamReusable = true
        responseStarted = false
        closeAfterResponse = false
        responseBody = nil
        backendInbound = nil
        attempts = 0
        excluded = []
        deferredError = nil
        startedAt = .now()
        loopCounts?.request()

        if case .length(let length) = framing, length > configuration.maxBodyBytes {
            return fail(413, "request body larger than \(configuration.maxBodyBytes) bytes\n")
        }
        if head.methodIs("CONNECT") { return fail(501, "CONNECT is not supported\n") }
        let fields = head.fields
        let host = fields.field(fields.known.host).map(fields.value) ?? ""
        let target = head.string(head.target)
        if tables.generation != tableGeneration { (table, tableGeneration) = tables.snapshot() }
        guard let (rule, pool) = table.route(host: host[...], target: target[...], header: { fields.value(named: $0) }) else {
            return fail(404, "no route for \(host)\(target)\n")
        }
        guard let pool, !pool.backends.isEmpty else {
            return fail(503, "no healthy backend for route \(rule.name)\n")
        }
        // The proxy answers `Expect: 100-continue` itself: it streams the body anyway.
        var dropExpect = false
        if let expect = fields.field(fields.known.expect), fields.value(of: expect, is: "100-continue") {
            dropExpect = true
            if let context {
                var line = context.channel.allocator.buffer(capacity: 25)
                line.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(line), promise: nil)
            }
        }
        // A protocol upgrade (WebSocket) is passed on; after a 101 the connection becomes a byte relay.
        let upgrade = fields.field(fields.known.upgrade)
        wantsUpgrade = upgrade != nil
        pending.append(
            HeadWriter.request(
                head, clientAddress: clientAddress, host: host, dropExpect: dropExpect, upgrade: upgrade,
                allocator: context!.channel.allocator))
        phase = .connecting
        connect(pool: pool)
    }

    private func forward(body buffer: ByteBuffer) {
        bodyBytes += buffer.readableBytes
        switch phase {
        case .discarding, .idle, .upgraded, .closing:
            return
        case .connecting:
            guard bodyBytes <= configuration.maxBodyBytes else {
                return fail(413, "request body larger than \(configuration.maxBodyBytes) bytes\n")
            }
            pending.append(buffer)
            if pending.count > 64 { pauseClientReads() }  // bounded while the connection opens
        case .forwarding:
            guard bodyBytes <= configuration.maxBodyBytes else {
                if responseStarted {
                    context?.close(promise: nil)
                } else {
                    dropUpstream()
                    fail(413, "request body larger than \(configuration.maxBodyBytes) bytes\n")
                }
                return
            }
            guard let upstream else { return }
            upstream.channel.write(buffer, promise: nil)
            upstreamUnflushed = true
            if !upstream.channel.isWritable { pauseClientReads() }
        }
    }

    private func endRequest() {
        requestEnded = true
        switch phase {
        case .discarding:
            phase = .idle
            if let (status, message) = deferredError {
                deferredError = nil
                fail(status, message)
            }
        case .idle, .upgraded, .closing, .connecting:
            break
        case .forwarding:
            upstreamUnflushed = true
        }
    }

    /// A request the proxy cannot read: answered with what is wrong, then the connection closes.
    private func refuse(_ error: WireError) {
        guard let context else { return }
        loopCounts?.response(error.status)
        dropUpstream()
        phase = .closing
        inbound = nil
        if responseStarted {
            context.close(promise: nil)
            return
        }
        let answer = HeadWriter.error(
            status: error.status, message: error.reason + "\n", close: true, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: Backend selection

    private func connect(pool: Pool) {
        guard let context else { return }
        guard let backendPool else {
            return fail(500, "router misconfigured: no connection pool for this event loop\n")
        }
        let ejected = ejections.ejected(in: pool)
        guard
            let index = pool.pick(excluding: ejected.isEmpty ? excluded : excluded.union(ejected), cursor: &backendPool.cursor)
                ?? pool.pick(excluding: excluded, cursor: &backendPool.cursor)
        else {
            return fail(502, "could not reach any backend of pool \(pool.name)\n")
        }
        attempts += 1
        pool.begin(index)
        let backend = pool.backends[index]
        // The common case: a kept-alive connection is there, used at once.
        if let connection = backendPool.takeIdle(backend) {
            return connected(connection, backend: backend, index: index, pool: pool)
        }
        let generation = self.generation
        backendPool.connect(backend).assumeIsolated().whenComplete { result in
            guard generation == self.generation, self.phase == .connecting, self.context != nil else {
                pool.end(index)
                if case .success(let connection) = result { backendPool.release(backend, connection) }
                return
            }
            switch result {
            case .success(let connection):
                self.connected(connection, backend: backend, index: index, pool: pool)
            case .failure(let error):
                pool.end(index)
                self.ejections.eject(backend, for: self.configuration.ejectFor)
                self.metrics.upstreamError(pool: pool.name, "connect")
                self.logger.warning("router.connect_failed", metadata: ["backend": "\(backend)", "error": "\(error)"])
                self.excluded.insert(index)
                if self.attempts < 2, self.requestIdempotent, self.excluded.count < pool.backends.count {
                    self.connect(pool: pool)
                } else if case ChannelError.connectTimeout = error {
                    self.fail(504, "backend \(backend) did not accept a connection in time\n")
                } else {
                    self.fail(502, "could not connect to backend \(backend)\n")
                }
            }
        }
    }

    private func connected(_ connection: BackendConnection, backend: Backend, index: Int, pool: Pool) {
        let channel = connection.channel
        connection.handler.delegate = self
        upstream = Upstream(backend: backend, index: index, pool: pool, connection: connection)
        phase = .forwarding
        for part in pending { channel.write(part, promise: nil) }
        pending.removeAll(keepingCapacity: true)
        // Inside a read, the flush comes once the read's bytes are handled.
        if processing { upstreamUnflushed = true } else { channel.flush() }
        resumeClientReads()
        armResponseTimer()
    }

    /// Arms the response deadline. One timer per connection checks it, rescheduled only when it
    /// fires early: no timer is scheduled and cancelled per request on the hot path.
    private func armResponseTimer() {
        responseDeadline = .now() + configuration.responseTimeout.timeAmount
        guard responseTimer == nil, let context else { return }
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
            self.fail(504, "backend did not answer within \(self.configuration.responseTimeout)\n")
        }
    }

    static func isIdempotent(_ head: RequestHead) -> Bool {
        head.methodIs("GET") || head.methodIs("HEAD") || head.methodIs("OPTIONS") || head.methodIs("PUT")
            || head.methodIs("DELETE") || head.methodIs("TRACE")
    }

    // MARK: Backend side

    func backendReceived(_ buffer: ByteBuffer) {
        if backendInbound == nil || backendInbound!.readableBytes == 0 {
            backendInbound = buffer
        } else {
            backendInbound!.writeImmutableBuffer(buffer)
        }
        guard phase != .upgraded else { return }  // kept for the relay
        processBackend()
    }

    /// Handles buffered backend bytes: the response head, then its body.
    private func processBackend() {
        while let context, upstream != nil, phase != .upgraded, let input = backendInbound, input.readableBytes > 0 {
            if var body = responseBody {
                var input = input
                backendInbound = nil
                let slice: ByteBuffer?
                do {
                    slice = try body.take(from: &input)
                } catch {
                    // The response is already under way: the client must see it cut short.
                    logger.debug("router.backend_framing", metadata: ["error": "\(error.reason)"])
                    dropUpstream()
                    context.close(promise: nil)
                    return
                }
                backendInbound = input
                responseBody = body
                if let slice {
                    context.write(wrapOutboundOut(slice), promise: nil)
                    clientUnflushed = true
                    if !context.channel.isWritable { upstream?.handler.pauseReading() }
                }
                if body.isComplete {
                    responseBody = nil
                    finishExchange()
                } else if slice == nil {
                    return
                }
                continue
            }
            let parsed: (head: ResponseHead, length: Int)?
            let framing: BodyReader
            do {
                parsed = try HeadParser.response(input, maxBytes: configuration.maxHeadBytes)
                guard let parsed else { return }
                backendInbound!.moveReaderIndex(forwardBy: parsed.length)
                framing = try BodyReader.response(parsed.head, toHEAD: requestIsHEAD)
            } catch {
                badResponse(error)
                return
            }
            respond(parsed!.head, framing: framing, context: context)
        }
    }

    /// The largest body part copied into the head's buffer rather than written on its own.
    static let coalesceLimit = 16 * 1024

    private func respond(_ head: ResponseHead, framing: BodyReader, context: ChannelHandlerContext) {
        if head.status == 101 && wantsUpgrade { return upgrade(head, context: context) }
        if head.status < 200 { return }  // informational (100 Continue, 103 Early Hints): not the response
        responseDeadline = nil
        responseStarted = true
        let backendConnection = head.fields.connectionOptions
        if head.minorVersion == 0 ? !backendConnection.keepAlive : backendConnection.close {
            upstreamReusable = false
        }
        if case .untilClose = framing {
            upstreamReusable = false
            closeAfterResponse = true
        }
        let header: HeadWriter.ConnectionHeader =
            !clientKeepAlive || closeAfterResponse ? .close : (requestMinorVersion == 0 ? .keepAlive : .none)
        loopCounts?.response(head.status)
        // A small body that came with the head goes out in the same buffer: one write, one iovec.
        var framing = framing
        var body: ByteBuffer?
        if !framing.isComplete, let available = backendInbound?.readableBytes, available > 0, available <= Self.coalesceLimit {
            do {
                body = try framing.take(from: &backendInbound!)
            } catch {
                dropUpstream()
                return fail(502, "backend sent \(error.reason)\n")
            }
        }
        var out = HeadWriter.response(
            head, connection: header, allocator: context.channel.allocator, extra: body?.readableBytes ?? 0)
        if var body { out.writeBuffer(&body) }
        context.write(wrapOutboundOut(out), promise: nil)
        clientUnflushed = true
        if framing.isComplete {
            finishExchange()
        } else {
            responseBody = framing
        }
    }

    /// A response head the proxy cannot read.
    private func badResponse(_ error: WireError) {
        let pool = upstream?.pool.name
        logger.warning("router.bad_response", metadata: ["error": "\(error.reason)"])
        if let pool { metrics.upstreamError(pool: pool, "malformed") }
        dropUpstream()
        fail(502, error.reason + "\n")
    }

    func backendReadComplete() {
        guard clientUnflushed else { return }
        clientUnflushed = false
        context?.flush()
    }

    func backendClosed() {
        guard let context, let upstream else { return }
        if case .untilClose = responseBody {
            // The close is the end of this response.
            responseBody = nil
            upstreamReusable = false
            finishExchange()
            return
        }
        upstream.handler.delegate = nil
        upstream.pool.end(upstream.index)
        self.upstream = nil
        responseDeadline = nil
        metrics.upstreamError(pool: upstream.pool.name, "closed")
        if responseStarted {
            context.close(promise: nil)  // the response is cut short: the client must see it
        } else {
            ejections.eject(upstream.backend, for: configuration.ejectFor)
            fail(502, "backend \(upstream.backend) closed the connection without answering\n")
        }
    }

    func backendFailed(_ error: any Error) {
        logger.debug("router.backend_error", metadata: ["error": "\(error)"])
    }

    func backendWritabilityChanged(writable: Bool) {
        if writable { resumeClientReads() }
    }

    private func finishExchange() {
        guard let context else { return }
        let now = NIODeadline.now()
        loopCounts?.latency(nanoseconds: (now - startedAt).nanoseconds)
        lastActive = now
        if let upstream {
            upstream.pool.end(upstream.index)
            self.upstream = nil
            // Bytes after the response's end mean the backend cannot be trusted with another one.
            let leftover = backendInbound.map { $0.readableBytes > 0 } ?? false
            backendInbound = nil
            if upstreamReusable && requestEnded && !leftover, let pool = backendPool {
                pool.release(upstream.backend, upstream.connection)
            } else {
                upstream.handler.delegate = nil
                upstream.channel.close(promise: nil)
            }
        }
        let keepOpen = clientKeepAlive && requestEnded && !closeAfterResponse
        phase = requestEnded ? .idle : .discarding
        if keepOpen {
            clientUnflushed = false
            context.flush()
            processInbound()
            resumeClientReads()
        } else {
            phase = .closing
            inbound = nil
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated()
                .whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Answers 101 and turns both connections into a byte relay: the upgraded connection no
    /// longer depends on the routing table, so route changes never drop it.
    private func upgrade(_ head: ResponseHead, context: ChannelHandlerContext) {
        guard let upstream else { return }
        responseDeadline = nil
        responseStarted = true
        phase = .upgraded
        loopCounts?.response(101)
        upstream.pool.end(upstream.index)
        self.upstream = nil
        context.write(wrapOutboundOut(HeadWriter.response(head, connection: .none, allocator: context.channel.allocator)), promise: nil)
        // Switch once this read is over; bytes that come meanwhile are kept and passed on.
        context.eventLoop.assumeIsolated().execute {
            self.switchToRelay(upstream: upstream, context: context)
        }
    }

    private func switchToRelay(upstream: Upstream, context: ChannelHandlerContext) {
        upstream.handler.delegate = nil
        if let leftover = backendInbound, leftover.readableBytes > 0 { context.write(wrapOutboundOut(leftover), promise: nil) }
        context.flush()
        if let leftover = inbound, leftover.readableBytes > 0 { upstream.channel.writeAndFlush(leftover, promise: nil) }
        backendInbound = nil
        inbound = nil
        let (clientSide, backendSide) = RelayHandler.pair()
        do {
            try RelayHandler.install(backendSide, on: upstream.channel, replacing: [upstream.handler])
            idleTimer?.cancel()
            idleTimer = nil
            try RelayHandler.install(clientSide, on: context.channel, replacing: [self])
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
        backendInbound = nil
        responseBody = nil
    }

    /// Answers with a short error; closes the connection if the request is not fully read.
    private func fail(_ status: Int, _ message: String) {
        guard let context, hasRequest else { return }
        responseDeadline = nil
        if !requestEnded && !requestHasBody && !responseStarted {
            deferredError = (status, message)
            phase = .discarding
            return
        }
        loopCounts?.response(status)
        let close = !clientKeepAlive || !requestEnded
        responseStarted = true
        phase = requestEnded ? .idle : .discarding
        context.write(
            wrapOutboundOut(HeadWriter.error(status: status, message: message, close: close, allocator: context.channel.allocator)),
            promise: nil)
        if close {
            phase = .closing
            inbound = nil
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated()
                .whenComplete { _ in context.close(promise: nil) }
        } else {
            context.flush()
            processInbound()
            resumeClientReads()
        }
    }
}

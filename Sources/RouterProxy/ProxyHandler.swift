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

    enum Phase {
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

    struct Upstream {
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
    var backendPool: BackendConnectionPool?
    var loopCounts: LoopCounts?
    let ejections: Ejections
    let configuration: ProxyConfiguration
    let metrics: ProxyMetrics
    let logger: Logger

    var context: ChannelHandlerContext?
    /// The channel's write, flush and read without the pipeline (see `ChannelHead`).
    var channelHead = ChannelHead()
    /// The channel's allocator, read once (each read through the channel costs a few retains).
    var allocator = ByteBufferAllocator()
    var phase = Phase.idle
    /// Client bytes not yet handled: the rest of a read, or pipelined requests waiting their turn.
    var inbound: ByteBuffer?
    /// The body of the current request, while it is being read.
    var requestBody: BodyReader?
    var processing = false
    /// Writes made but not flushed yet, on each side: each side is flushed once per batch of
    /// work, not once per write.
    var upstreamUnflushed = false
    var clientUnflushed = false

    /// The current exchange's own state (`ProxyHandler.Exchange`): a new request replaces it whole.
    var exchange = Exchange()
    /// The rewritten head (and, while connecting, the first body bytes) waiting for the backend.
    /// Kept out of `exchange` so its storage is reused from one request to the next.
    var pending: [ByteBuffer] = []
    var upstream: Upstream?
    var backendInbound: ByteBuffer?
    var responseTimer: Scheduled<Void>?
    /// Bumped per request, so late callbacks of an earlier request are ignored.
    var generation = 0
    var readPaused = false
    var pendingRead = false
    /// When the connection last finished an exchange (or opened): idle since then if no exchange runs.
    var lastActive = NIODeadline.now()
    var idleTimer: Scheduled<Void>?
    /// The table this connection routes by, with its generation, looked up again when a new one
    /// was swapped in. Held in one object: a table read from a property was copied per request
    /// (five retains and releases).
    var held = TableSource.Held.none
    /// Storage reused from one exchange to the next: the parsed heads' field lists and the heads
    /// written, each reused once the previous one is gone (written out), so an exchange on a
    /// kept-alive connection allocates none of them.
    var requestFields: [HeaderField] = []
    var responseFields: [HeaderField] = []
    var requestOut = ByteBuffer()
    var responseOut = ByteBuffer()
    /// A head buffer grown past this (a response with a larger body copied in) is not kept.
    static let keptBufferLimit = 4096

    init(
        tables: TableSource,
        pools: PerLoop<BackendConnectionPool>,
        counts: PerLoop<LoopCounts>,
        ejections: Ejections,
        configuration: ProxyConfiguration,
        metrics: ProxyMetrics,
        logger: Logger
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
    var clientAddress = "unknown"

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channelHead = ChannelHead(context)
        allocator = context.channel.allocator
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
    func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
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

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        channelHead.detach()
    }

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
    func processInbound() {
        guard !processing, context != nil else { return }
        processing = true
        defer { processing = false }
        // The buffer's length is read in place: binding it (`let input = inbound`) would retain it.
        while (inbound?.readableBytes ?? 0) > 0, phase != .upgraded, phase != .closing, step() {}
        if inbound?.readableBytes == 0 { inbound = nil }
        if upstreamUnflushed {
            upstreamUnflushed = false
            upstream?.handler.flush()
        }
    }

    /// One step over buffered client bytes; false when nothing more can be done until more bytes
    /// come or the current exchange ends.
    func step() -> Bool {
        if var body = requestBody {
            var input = inbound.take()!
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
        let head: RequestHead
        let framing: BodyReader
        do {
            guard
                let (parsed, length) = try HeadParser.request(
                    inbound!,
                    maxBytes: configuration.maxHeadBytes,
                    fields: &requestFields
                )
            else { return false }
            inbound!.moveReaderIndex(forwardBy: length)
            framing = try BodyReader.request(parsed)
            head = parsed
        } catch {
            refuse(error)
            return false
        }
        start(head, framing: framing)
        if framing.isComplete {
            endRequest()
        } else {
            requestBody = framing
        }
        return true
    }

    /// Not passed on: this is the pipeline's last handler (until an upgrade replaces it). The next
    /// read is asked for here, unless reads are paused: NIO then sees a read pending and does
    /// not send its own request for one through the pipeline after every read.
    func channelReadComplete(context: ChannelHandlerContext) {
        if !readPaused { channelHead.read() }
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
            channelHead.read()
        }
    }

    func pauseClientReads() { readPaused = true }

    func resumeClientReads() {
        guard readPaused else { return }
        // A pipelined request still waits: reading more would only grow the buffer.
        if requestBody == nil, phase != .idle, let inbound, inbound.readableBytes > 0 { return }
        readPaused = false
        if pendingRead, context != nil {
            pendingRead = false
            channelHead.read()
        }
    }

    func start(_ head: RequestHead, framing: BodyReader) {
        generation += 1
        let connection = head.fields.connectionOptions
        // One assignment resets the exchange; what is left of the previous one goes with it.
        exchange = Exchange(head, framing: framing, connection: connection)
        pending.removeAll(keepingCapacity: true)
        backendInbound = nil
        loopCounts?.request()

        if case .length(let length) = framing, length > configuration.maxBodyBytes {
            return fail(413, "request body larger than \(configuration.maxBodyBytes) bytes\n")
        }
        if head.methodIs("CONNECT") { return fail(501, "CONNECT is not supported\n") }
        let fields = head.fields
        let target: RequestTarget
        do { target = try RequestTarget(head) } catch { return fail(error.status, error.reason + "\n") }
        let host = target.host
        if tables.generation != held.generation { held = tables.held() }
        guard
            let route = held.route(
                host: host[...],
                target: target.routed[...],
                header: { fields.value(named: $0) }
            )
        else {
            return fail(404, "no route for \(host)\(target.routed)\n")
        }
        guard route.admits(clientAddress) else {
            return fail(403, "\(clientAddress) may not reach \(host): its app does not declare it in dependsOnApps\n")
        }
        guard let pool = route.pool, !pool.backends.isEmpty else {
            return fail(503, "no healthy backend for route \(route.rule.name)\n")
        }
        // The proxy answers `Expect: 100-continue` itself: it streams the body anyway.
        var dropExpect = false
        if let expect = fields.field(fields.known.expect), fields.value(of: expect, is: "100-continue") {
            dropExpect = true
            if let context {
                var line = allocator.buffer(capacity: 25)
                line.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(line), promise: nil)
            }
        }
        // A protocol upgrade (WebSocket) is passed on; after a 101 the connection becomes a byte relay.
        let upgrade = fields.field(fields.known.upgrade)
        exchange.wantsUpgrade = upgrade != nil
        HeadWriter.request(
            head,
            connection: connection,
            clientAddress: clientAddress,
            host: host,
            dropExpect: dropExpect,
            upgrade: upgrade,
            originForm: target.originForm,
            length: fields.singleContentLength(for: framing),
            into: &requestOut
        )
        pending.append(requestOut)
        // Kept (a reference, not a copy) until the response starts: sent again if a kept-alive
        // connection turns out to be closed.
        exchange.resendable =
            exchange.requestIdempotent && !exchange.requestHasBody && !exchange.wantsUpgrade ? requestOut : nil
        phase = .connecting
        connect(pool: pool)
    }

    func forward(body buffer: ByteBuffer) {
        exchange.bodyBytes += buffer.readableBytes
        switch phase {
        case .discarding, .idle, .upgraded, .closing:
            return
        case .connecting:
            guard exchange.bodyBytes <= configuration.maxBodyBytes else {
                return fail(413, "request body larger than \(configuration.maxBodyBytes) bytes\n")
            }
            pending.append(buffer)
            if pending.count > 64 { pauseClientReads() }  // bounded while the connection opens
        case .forwarding:
            guard exchange.bodyBytes <= configuration.maxBodyBytes else {
                if exchange.responseStarted {
                    context?.close(promise: nil)
                } else {
                    dropUpstream()
                    fail(413, "request body larger than \(configuration.maxBodyBytes) bytes\n")
                }
                return
            }
            guard let upstream else { return }
            upstream.handler.send(buffer)
            upstreamUnflushed = true
            if !upstream.channel.isWritable { pauseClientReads() }
        }
    }

    func endRequest() {
        exchange.requestEnded = true
        switch phase {
        case .discarding:
            phase = .idle
            if let (status, message) = exchange.deferredError {
                exchange.deferredError = nil
                fail(status, message)
            }
        case .idle, .upgraded, .closing, .connecting, .forwarding:
            break  // whatever was written to the backend is flushed when this read's bytes are handled
        }
    }

    /// A request the proxy cannot read: answered with what is wrong, then the connection closes.
    func refuse(_ error: WireError) {
        guard let context else { return }
        loopCounts?.response(error.status)
        dropUpstream()
        if exchange.responseStarted {
            phase = .closing
            inbound = nil
            context.close(promise: nil)
            return
        }
        let answer = HeadWriter.error(
            status: error.status,
            message: error.reason + "\n",
            close: true,
            allocator: allocator
        )
        context.write(wrapOutboundOut(answer), promise: nil)
        closeAfterWrites(context)
    }

    /// The response is out: the connection serves the next request (a pipelined one first).
    func readyForNextRequest(_ context: ChannelHandlerContext) {
        phase = .idle
        if clientUnflushed {
            clientUnflushed = false
            channelHead.flush()
        }
        processInbound()
        resumeClientReads()
    }

    /// Closes the connection once everything written has gone out; nothing more is read.
    func closeAfterWrites(_ context: ChannelHandlerContext) {
        phase = .closing
        inbound = nil
        context.writeAndFlush(wrapOutboundOut(allocator.buffer(capacity: 0))).assumeIsolated()
            .whenComplete { _ in context.close(promise: nil) }
    }
}

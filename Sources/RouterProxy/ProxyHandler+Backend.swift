import CoreMetrics
import Logging
import NIOCore
import RouterData

/// Choosing a backend connection, and reading the response from it.
extension ProxyHandler {
    // MARK: Backend selection

    func connect(pool: Pool) {
        guard context != nil else { return }
        guard let backendPool else {
            return fail(500, "router misconfigured: no connection pool for this event loop\n")
        }
        let choice: Int?
        if exchange.excluded.isEmpty && !ejections.any {
            choice = pool.pick(cursor: &backendPool.cursor)  // the common case: no set built or passed
        } else {
            let ejected = ejections.ejected(in: pool)
            choice =
                pool.pick(
                    excluding: ejected.isEmpty ? exchange.excluded : exchange.excluded.union(ejected),
                    cursor: &backendPool.cursor
                )
                ?? pool.pick(excluding: exchange.excluded, cursor: &backendPool.cursor)
        }
        guard let index = choice else {
            return fail(502, "could not reach any backend of pool \(pool.name)\n")
        }
        exchange.attempts += 1
        pool.begin(index)
        let backend = pool.backends[index]
        // The common case: a kept-alive connection is there, used at once.
        if let connection = backendPool.takeIdle(backend) {
            exchange.upstreamWasIdle = true
            // Taken at once on a first attempt: the request's start is the time it is sent (one clock read less).
            return connected(
                connection,
                backend: backend,
                index: index,
                pool: pool,
                at: exchange.attempts == 1 ? exchange.startedAt : .now()
            )
        }
        exchange.upstreamWasIdle = false
        let generation = self.generation
        backendPool.connect(backend).assumeIsolated().whenComplete { result in
            guard generation == self.generation, self.phase == .connecting, self.context != nil else {
                pool.end(index)
                if case .success(let connection) = result { backendPool.release(backend, connection) }
                return
            }
            switch result {
            case .success(let connection):
                self.connected(connection, backend: backend, index: index, pool: pool, at: .now())
            case .failure(let error):
                pool.end(index)
                self.ejections.eject(backend, for: self.configuration.ejectFor)
                self.metrics.upstreamError(pool: pool.name, "connect")
                self.logger.warning("router.connect_failed", metadata: ["backend": "\(backend)", "error": "\(error)"])
                self.exchange.excluded.insert(index)
                if self.exchange.attempts < 2, self.exchange.requestIdempotent,
                    self.exchange.excluded.count < pool.backends.count
                {
                    self.connect(pool: pool)
                } else if case ChannelError.connectTimeout = error {
                    self.fail(504, "backend \(backend) did not accept a connection in time\n")
                } else {
                    self.fail(502, "could not connect to backend \(backend)\n")
                }
            }
        }
    }

    func connected(_ connection: BackendConnection, backend: Backend, index: Int, pool: Pool, at now: NIODeadline) {
        connection.handler.delegate = self
        upstream = Upstream(backend: backend, index: index, pool: pool, connection: connection)
        phase = .forwarding
        if pending.count == 1 && !exchange.requestHasBody {
            // A request without a body: its head, written and flushed in one pass.
            connection.handler.sendAndFlush(pending[0])
        } else {
            for part in pending { connection.handler.send(part) }
            // Inside a read, the flush comes once the read's bytes are handled.
            if processing { upstreamUnflushed = true } else { connection.handler.flush() }
        }
        pending.removeAll(keepingCapacity: true)
        resumeClientReads()
        armResponseTimer(from: now)
    }

    /// Arms the response deadline. One timer per connection checks it, rescheduled only when it
    /// fires early: no timer is scheduled and cancelled per request on the hot path.
    func armResponseTimer(from now: NIODeadline) {
        exchange.responseDeadline = now + configuration.responseTimeout.timeAmount
        guard responseTimer == nil, let context else { return }
        scheduleResponseCheck(at: exchange.responseDeadline!, context: context)
    }

    func scheduleResponseCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        responseTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.responseTimer = nil
            guard let due = self.exchange.responseDeadline, !self.exchange.responseStarted, self.upstream != nil else {
                return
            }
            if due > .now() {
                self.scheduleResponseCheck(at: due, context: context)
                return
            }
            self.exchange.responseDeadline = nil
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
    func processBackend() {
        while upstream != nil, phase != .upgraded, (backendInbound?.readableBytes ?? 0) > 0, let context {
            if var body = exchange.responseBody {
                var input = backendInbound.take()!
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
                exchange.responseBody = body
                if let slice {
                    channelHead.write(slice)
                    clientUnflushed = true
                    if !context.channel.isWritable { upstream?.handler.pauseReading() }
                }
                if body.isComplete {
                    exchange.responseBody = nil
                    finishExchange()
                } else if slice == nil {
                    return
                }
                continue
            }
            let head: ResponseHead
            let framing: BodyReader
            do {
                guard
                    let (parsed, length) = try HeadParser.response(
                        backendInbound!,
                        maxBytes: configuration.maxHeadBytes,
                        fields: &responseFields
                    )
                else { return }
                backendInbound!.moveReaderIndex(forwardBy: length)
                framing = try BodyReader.response(parsed, toHEAD: exchange.requestIsHEAD)
                head = parsed
            } catch {
                badResponse(error)
                return
            }
            respond(head, framing: framing, context: context)
        }
    }

    /// The largest body part copied into the head's buffer rather than written on its own.
    static let coalesceLimit = 16 * 1024

    func respond(_ head: ResponseHead, framing: BodyReader, context: ChannelHandlerContext) {
        if head.status == 101 {
            if exchange.wantsUpgrade { return upgrade(head, context: context) }
            // What follows is another protocol: it cannot be read, nor the connection kept.
            return badResponse(
                WireError(
                    status: 502,
                    reason: "backend switched protocols (101) for a request that asked for no upgrade"
                )
            )
        }
        if head.status < 200 { return }  // informational (100 Continue, 103 Early Hints): not the response
        exchange.responseDeadline = nil
        exchange.responseStarted = true
        exchange.resendable = nil
        let backendConnection = head.fields.connectionOptions
        if head.minorVersion == 0 ? !backendConnection.keepAlive : backendConnection.close {
            exchange.upstreamReusable = false
        }
        if case .untilClose = framing {
            exchange.upstreamReusable = false
            exchange.closeAfterResponse = true
        }
        let header: HeadWriter.ConnectionHeader =
            !exchange.clientKeepAlive || exchange.closeAfterResponse
            ? .close : (exchange.requestMinorVersion == 0 ? .keepAlive : .none)
        loopCounts?.response(head.status)
        // Before any body is taken: a HEAD's or 304's framing is none, and its length is left as it came.
        let length = head.fields.singleContentLength(for: framing)
        // A small body that came with the head goes out in the same buffer: one write, one iovec.
        var framing = framing
        var body: ByteBuffer?
        if !framing.isComplete, let available = backendInbound?.readableBytes, available > 0,
            available <= Self.coalesceLimit
        {
            do {
                body = try framing.take(from: &backendInbound!)
            } catch {
                dropUpstream()
                return fail(502, "backend sent \(error.reason)\n")
            }
        }
        HeadWriter.response(
            head,
            backendConnection: backendConnection,
            connection: header,
            extra: body?.readableBytes ?? 0,
            length: length,
            into: &responseOut
        )
        if var body { responseOut.writeBuffer(&body) }
        let out = responseOut
        if responseOut.capacity > Self.keptBufferLimit { responseOut = ByteBuffer() }
        if framing.isComplete {
            // The whole response: written and flushed in one pass down the pipeline.
            channelHead.writeAndFlush(out)
            clientUnflushed = false
            finishExchange()
        } else {
            channelHead.write(out)
            clientUnflushed = true
            exchange.responseBody = framing
        }
    }

    /// A response head the proxy cannot read.
    func badResponse(_ error: WireError) {
        let pool = upstream?.pool.name
        logger.warning("router.bad_response", metadata: ["error": "\(error.reason)"])
        if let pool { metrics.upstreamError(pool: pool, "malformed") }
        dropUpstream()
        fail(502, error.reason + "\n")
    }

    func backendReadComplete() {
        guard clientUnflushed else { return }
        clientUnflushed = false
        channelHead.flush()
    }

    func backendClosed() {
        guard let context, let upstream else { return }
        if case .untilClose = exchange.responseBody {
            // The close is the end of this response.
            exchange.responseBody = nil
            exchange.upstreamReusable = false
            finishExchange()
            return
        }
        upstream.handler.delegate = nil
        upstream.pool.end(upstream.index)
        self.upstream = nil
        exchange.responseDeadline = nil
        let nothingCame = backendInbound.map { $0.readableBytes == 0 } ?? true
        if exchange.upstreamWasIdle, !exchange.responseStarted, nothingCame, let head = exchange.resendable,
            phase == .forwarding
        {
            // A kept-alive connection the backend closed (its idle timeout) as the request went
            // out: not the backend failing. Sent again, once, on another connection; no ejection.
            logger.debug("router.stale_connection", metadata: ["backend": "\(upstream.backend)"])
            exchange.resendable = nil
            backendInbound = nil
            pending = [head]
            phase = .connecting
            return connect(pool: upstream.pool)
        }
        metrics.upstreamError(pool: upstream.pool.name, "closed")
        if exchange.responseStarted {
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

    func finishExchange() {
        guard let context else { return }
        let now = NIODeadline.now()
        loopCounts?.latency(nanoseconds: (now - exchange.startedAt).nanoseconds)
        lastActive = now
        // Moved out, not copied: no retain and release of each of its references.
        if let upstream = upstream.take() {
            upstream.pool.end(upstream.index)
            // Bytes after the response's end mean the backend cannot be trusted with another one.
            let leftover = backendInbound.map { $0.readableBytes > 0 } ?? false
            backendInbound = nil
            if exchange.upstreamReusable && exchange.requestEnded && !leftover, let pool = backendPool {
                pool.release(upstream.backend, upstream.connection)
            } else {
                upstream.handler.delegate = nil
                upstream.channel.close(promise: nil)
            }
        }
        if exchange.clientKeepAlive && exchange.requestEnded && !exchange.closeAfterResponse {
            readyForNextRequest(context)
        } else {
            closeAfterWrites(context)
        }
    }
}

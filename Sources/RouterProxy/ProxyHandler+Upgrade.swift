import Logging
import NIOCore
import RouterData

/// Protocol upgrades (WebSocket): after a 101 both connections become a byte relay.
extension ProxyHandler {
    /// Answers 101 and turns both connections into a byte relay: the upgraded connection no
    /// longer depends on the routing table, so route changes never drop it.
    func upgrade(_ head: ResponseHead, context: ChannelHandlerContext) {
        guard let upstream else { return }
        exchange.responseDeadline = nil
        exchange.responseStarted = true
        phase = .upgraded
        loopCounts?.response(101)
        upstream.pool.end(upstream.index)
        self.upstream = nil
        context.write(
            wrapOutboundOut(
                HeadWriter.response(
                    head,
                    backendConnection: ConnectionOptions(),
                    connection: .none,
                    allocator: allocator
                )
            ),
            promise: nil
        )
        // Switch once this read is over; bytes that come meanwhile are kept and passed on.
        context.eventLoop.assumeIsolated().execute {
            self.switchToRelay(upstream: upstream, context: context)
        }
    }

    func switchToRelay(upstream: Upstream, context: ChannelHandlerContext) {
        upstream.handler.delegate = nil
        if let leftover = backendInbound, leftover.readableBytes > 0 {
            context.write(wrapOutboundOut(leftover), promise: nil)
        }
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
}

import NIOCore
import NIOHTTP1

/// After a protocol upgrade (WebSocket), relays raw bytes between the client and the backend.
/// Both channels live on one event loop; each side stops reading while the other cannot write.
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    weak var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func pair() -> (RelayHandler, RelayHandler) {
        let a = RelayHandler()
        let b = RelayHandler()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.context?.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.readIfPending() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    private func readIfPending() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    /// Replaces a channel's HTTP handlers (and `keeping` none of them) with this relay.
    static func install(
        _ relay: RelayHandler,
        on channel: any Channel,
        replacing handlers: [any RemovableChannelHandler]
    ) throws {
        let ops = channel.pipeline.syncOperations
        try ops.addHandler(relay)
        for handler in handlers { ops.removeHandler(handler, promise: nil) }
    }
}

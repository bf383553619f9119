import NIOCore

/// What a backend connection reports to the client-side handler it currently serves.
protocol BackendDelegate: AnyObject {
    func backendReceived(_ bytes: ByteBuffer)
    func backendReadComplete()
    func backendClosed()
    func backendFailed(_ error: any Error)
    func backendWritabilityChanged(writable: Bool)
}

/// The end of a backend connection: passes the response bytes to its delegate and lets the
/// client side pause its reads when the client is slow.
final class BackendHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The client side this connection serves now; nil while idle in the pool. Strong, and
    /// cleared by the client side whenever the exchange ends: a weak reference would give the
    /// proxy handler a side table and make every retain of it take the slow path.
    var delegate: (any BackendDelegate)?
    /// The pool already removes this connection from its idle list when it closes.
    var watchedByPool = false
    /// Until `channelInactive`: what `channel.isActive` says, without its per-call retains and
    /// releases (the pool asks twice per request).
    private(set) var isConnected = true
    private var readPaused = false
    private var pendingRead = false
    private var context: ChannelHandlerContext?
    /// The channel's write, flush and read without the pipeline (see `ChannelHead`).
    private var channelHead = ChannelHead()

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channelHead = ChannelHead(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        channelHead.detach()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        delegate?.backendReceived(unwrapInboundIn(data))
    }

    /// The next read is asked for here, as `ProxyHandler.channelReadComplete` does.
    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.backendReadComplete()
        if !readPaused { channelHead.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isConnected = false
        delegate?.backendClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        delegate?.backendFailed(error)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.backendWritabilityChanged(writable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    /// Writes enter the pipeline here, at its only handler, rather than at its tail.
    func send(_ buffer: ByteBuffer) { channelHead.write(buffer) }

    func flush() { channelHead.flush() }

    func sendAndFlush(_ buffer: ByteBuffer) { channelHead.writeAndFlush(buffer) }

    func read(context: ChannelHandlerContext) {
        if readPaused {
            pendingRead = true
        } else {
            channelHead.read()
        }
    }

    /// Stops reading responses while the client cannot take more.
    func pauseReading() { readPaused = true }

    func resumeReading() {
        guard readPaused else { return }
        readPaused = false
        if pendingRead, context != nil {
            pendingRead = false
            channelHead.read()
        }
    }
}

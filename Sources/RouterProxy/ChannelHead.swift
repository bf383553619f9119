import NIOCore

/// The channel's own write, flush and read, called straight instead of through the pipeline's
/// head — for a handler that is the channel's only one (the proxy's two handlers are), where
/// the head would make exactly these calls.
///
/// NIO's head handler is one object shared by every channel of the process: each `context.write`
/// and `read` retains and releases it, so every event loop thread writes the same reference count
/// (8 times per proxied request: a write and a read on each side) and its cache line moves between
/// cores (`bench/arc-callers.sh`, `bench/RESULTS.md`).
/// `ChannelCore` is NIO's interface for exactly these calls; they must be made on the channel's
/// event loop, as everything in a handler is.
struct ChannelHead {
    private var core: (any ChannelCore)?

    /// Taken in `handlerAdded`; `detach()` in `handlerRemoved` (the channel holds its pipeline,
    /// which holds the handler: the reference must not outlive the handler's place in it).
    init(_ context: ChannelHandlerContext) {
        core = context.channel._channelCore
    }

    init() {}

    mutating func detach() { core = nil }

    func write(_ buffer: ByteBuffer) { core?.write0(NIOAny(buffer), promise: nil) }

    func flush() { core?.flush0() }

    func writeAndFlush(_ buffer: ByteBuffer) {
        guard let core else { return }
        core.write0(NIOAny(buffer), promise: nil)
        core.flush0()
    }

    func read() { core?.read0() }
}

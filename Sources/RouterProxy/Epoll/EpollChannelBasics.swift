import NIOCore

/// What neither epoll channel (`EpollSocketChannel`, `EpollServerChannel`) supports or needs,
/// said once: no options, no parent, no bind or connect through the pipeline (they bind and
/// connect when made), no user events; registration is done when they are made.
protocol EpollChannelBasics: Channel, ChannelCore {}

extension EpollChannelBasics {
    var parent: (any Channel)? { nil }
    var _channelCore: any ChannelCore { self }

    func setOption<Option: ChannelOption>(_ option: Option, value: Option.Value) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
    }

    func getOption<Option: ChannelOption>(_ option: Option) -> EventLoopFuture<Option.Value> {
        eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
    }

    func register0(promise: EventLoopPromise<Void>?) { promise?.succeed() }

    func bind0(to: SocketAddress, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.operationUnsupported)
    }

    func connect0(to: SocketAddress, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.operationUnsupported)
    }

    func triggerUserOutboundEvent0(_ event: Any, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.operationUnsupported)
    }

    func channelRead0(_ data: NIOAny) {}

    func errorCaught0(error: any Error) {}
}

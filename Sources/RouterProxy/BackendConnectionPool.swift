import NIOCore
import NIOPosix
import RouterData

/// Keep-alive connections to backends for one event loop. Only touched on that loop: the proxy
/// handlers of a client connection use the pool of the loop they run on.
final class BackendConnectionPool {
    let eventLoop: any EventLoop
    let configuration: ProxyConfiguration
    private var idle: [Backend: [any Channel]] = [:]
    /// Connections whose close already removes them from `idle` (one callback per connection,
    /// not one per exchange).
    private var watched: Set<ObjectIdentifier> = []

    init(eventLoop: any EventLoop, configuration: ProxyConfiguration) {
        self.eventLoop = eventLoop
        self.configuration = configuration
    }

    /// An idle connection, or a new one.
    func acquire(_ backend: Backend) -> EventLoopFuture<any Channel> {
        eventLoop.preconditionInEventLoop()
        while var list = idle[backend], let channel = list.popLast() {
            idle[backend] = list
            if channel.isActive { return eventLoop.makeSucceededFuture(channel) }
        }
        let timeout = configuration.connectTimeout
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout.timeAmount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BackendHandler())
                }
            }
            .connect(host: backend.host, port: backend.port)
    }

    /// Gives a connection back after a complete exchange.
    func release(_ backend: Backend, _ channel: any Channel, _ handler: BackendHandler) {
        eventLoop.preconditionInEventLoop()
        handler.delegate = nil
        // The exchange may have ended while reads were paused for a slow client: the next one must read.
        handler.resumeReading()
        guard channel.isActive, (idle[backend]?.count ?? 0) < configuration.maxIdlePerBackend else {
            channel.close(promise: nil)
            return
        }
        idle[backend, default: []].append(channel)
        let id = ObjectIdentifier(channel)
        guard watched.insert(id).inserted else { return }
        channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in
            self?.idle[backend]?.removeAll { $0 === channel }
            self?.watched.remove(id)
        }
    }
}

/// One `BackendConnectionPool` per event loop of the group.
struct BackendPools: @unchecked Sendable {
    // Each pool is used only on its own event loop.
    private let pools: [ObjectIdentifier: BackendConnectionPool]

    init(group: any EventLoopGroup, configuration: ProxyConfiguration) {
        var pools: [ObjectIdentifier: BackendConnectionPool] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = BackendConnectionPool(eventLoop: loop, configuration: configuration)
        }
        self.pools = pools
    }

    func pool(for loop: any EventLoop) -> BackendConnectionPool? {
        pools[ObjectIdentifier(loop)]
    }
}

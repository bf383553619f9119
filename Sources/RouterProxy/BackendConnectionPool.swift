import NIOCore
import NIOPosix
import RouterData

/// An open connection to a backend and the handler at its end.
struct BackendConnection {
    let channel: any Channel
    let handler: BackendHandler
}

/// Keep-alive connections to backends for one event loop. Only touched on that loop: the proxy
/// handlers of a client connection use the pool of the loop they run on.
final class BackendConnectionPool {
    let eventLoop: any EventLoop
    /// The loop as the router's own epoll loop, if it is one (connections are then its sockets).
    private let epollLoop: EpollLoop?
    let configuration: ProxyConfiguration
    private var idle: [Backend: IdleList] = [:]

    /// One backend's idle connections. A class, so taking one mutates the list in place without
    /// going through the dictionary's storage.
    private final class IdleList {
        var connections: [BackendConnection] = []
    }
    /// This loop's round-robin position (see `Pool.pick(excluding:cursor:)`).
    var cursor = 0

    init(eventLoop: any EventLoop, configuration: ProxyConfiguration) {
        self.eventLoop = eventLoop
        self.epollLoop = eventLoop as? EpollLoop
        self.configuration = configuration
    }

    /// An idle connection to `backend`, if one is open.
    func takeIdle(_ backend: Backend) -> BackendConnection? {
        eventLoop.preconditionInEventLoop()
        guard let list = idle[backend] else { return nil }
        while let connection = list.connections.popLast() {
            if connection.handler.isConnected { return connection }
        }
        return nil
    }

    /// A new connection.
    func connect(_ backend: Backend) -> EventLoopFuture<BackendConnection> {
        let handler = BackendHandler()
        if let epollLoop {
            let address: SocketAddress
            do {
                // An address, or else a name resolved here (NIO's bootstrap would too).
                address =
                    try (try? SocketAddress(ipAddress: backend.host, port: backend.port))
                    ?? SocketAddress.makeAddressResolvingHost(backend.host, port: backend.port)
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
            return EpollSocketChannel.connect(
                to: address,
                on: epollLoop,
                timeout: configuration.connectTimeout.timeAmount
            ) { channel in
                try channel.pipeline.syncOperations.addHandler(handler)
            }
            .map { BackendConnection(channel: $0, handler: handler) }
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout.timeAmount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(host: backend.host, port: backend.port)
            .map { BackendConnection(channel: $0, handler: handler) }
    }

    /// Gives a connection back after a complete exchange.
    func release(_ backend: Backend, _ connection: BackendConnection) {
        eventLoop.preconditionInEventLoop()
        let (channel, handler) = (connection.channel, connection.handler)
        handler.delegate = nil
        // The exchange may have ended while reads were paused for a slow client: the next one must read.
        handler.resumeReading()
        let list: IdleList
        if let existing = idle[backend] {
            list = existing
        } else {
            list = IdleList()
            idle[backend] = list
        }
        guard handler.isConnected, list.connections.count < configuration.maxIdlePerBackend else {
            channel.close(promise: nil)
            return
        }
        list.connections.append(connection)
        // One close callback per connection (not one per exchange) takes it out of the idle list.
        guard !handler.watchedByPool else { return }
        handler.watchedByPool = true
        // Strong: a weak capture would give the pool a side table, and every retain of it on the
        // request path would take the slow path. The pool lives at most until its connections close.
        // The list is looked up again: an emptied list is dropped, and a later release makes a new one.
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            guard let list = self.idle[backend] else { return }
            list.connections.removeAll { $0.channel === channel }
            if list.connections.isEmpty { self.idle[backend] = nil }
        }
    }
}

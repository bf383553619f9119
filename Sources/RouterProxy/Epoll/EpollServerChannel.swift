import CEpoll
import Glibc
import NIOCore

/// A listening socket shared by the loops of an `EpollLoopGroup`: each loop watches it
/// (`EPOLLEXCLUSIVE`, so one idle loop is woken per connection, not all) and accepts on its
/// own thread; each connection then goes to the group's loops in turn, as NIO's server channel
/// hands them out. (Kept on the loop that accepted them, a burst of connections landed mostly
/// on one loop: its connections waited for each other, p99 1.47× NIO's in bench/router.sh.)
/// A `Channel` so that callers close it and read its address as they do NIO's; it has no
/// handlers.
final class EpollServerChannel: EpollChannelBasics, @unchecked Sendable {
    let fd: Int32
    let group: EpollLoopGroup
    private var _pipeline: ChannelPipeline!
    private let closePromise: EventLoopPromise<Void>
    private var acceptors: [Acceptor] = []
    private var isOpen = true
    let localAddress: SocketAddress?
    let allocator = ByteBufferAllocator()

    /// One loop's share of the listener.
    final class Acceptor: EpollHandle, @unchecked Sendable {
        let loop: EpollLoop
        let group: EpollLoopGroup
        let initialize: @Sendable (EpollSocketChannel) throws -> Void
        /// Set on this loop when the listener closes.
        var closed = false
        static let events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue

        init(
            fd: Int32,
            loop: EpollLoop,
            group: EpollLoopGroup,
            initialize: @escaping @Sendable (EpollSocketChannel) throws -> Void
        ) {
            self.loop = loop
            self.group = group
            self.initialize = initialize
            super.init(fd: fd)
        }

        /// Accepts what is waiting (a bounded batch: the next wait returns at once if more is).
        override func ready(_ events: UInt32) {
            for _ in 0..<32 {
                var storage = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let client = withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { cepoll_accept(fd, $0, &length) }
                }
                guard client >= 0 else {
                    let error = errno
                    if error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM { pause() }
                    return
                }
                EpollSocketChannel.setNoDelay(client)
                let address = SocketAddress(storage: storage)
                let target = group.nextLoop()
                if target === loop {
                    Self.start(client, on: target, address: address, initialize: initialize)
                } else {
                    target.execute { [initialize] in
                        Self.start(client, on: target, address: address, initialize: initialize)
                    }
                }
            }
        }

        /// Out of descriptors (or memory): the listener stays readable, and watching it would
        /// spin the loop; it is set aside for 100 ms while connections wait in the backlog.
        private func pause() {
            loop.deregister(self, remove: true)
            loop.scheduleTask(in: .milliseconds(100)) { [self] in
                guard !closed else { return }
                try? loop.register(self, events: Self.events)
            }
        }

        private static func start(
            _ fd: Int32,
            on loop: EpollLoop,
            address: SocketAddress?,
            initialize: (EpollSocketChannel) throws -> Void
        ) {
            EpollSocketChannel(fd: fd, loop: loop, remoteAddress: address, active: true).start(initialize: initialize)
        }
    }

    private init(fd: Int32, group: EpollLoopGroup) throws {
        self.fd = fd
        self.group = group
        localAddress = try SocketAddress.local(of: fd)
        closePromise = group.loops[0].makePromise()
        _pipeline = ChannelPipeline(channel: self)
    }

    /// Listens on `host:port` (port 0: any free port), every loop of `group` accepting.
    static func bind(
        host: String,
        port: Int,
        backlog: Int32 = 1024,
        group: EpollLoopGroup,
        initialize: @escaping @Sendable (EpollSocketChannel) throws -> Void
    ) async throws -> EpollServerChannel {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let fd = socket(
            Int32(address.protocol.rawValue),
            Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockAddr { pointer, size in Glibc.bind(fd, pointer, socklen_t(size)) }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let error = IOError(errnoCode: errno, reason: "bind \(host):\(port)")
            Glibc.close(fd)
            throw error
        }
        let server: EpollServerChannel
        do {
            server = try EpollServerChannel(fd: fd, group: group)
        } catch {
            Glibc.close(fd)
            throw error
        }
        for loop in group.loops {
            let acceptor = Acceptor(fd: fd, loop: loop, group: group, initialize: initialize)
            server.acceptors.append(acceptor)
            try await loop.submit {
                try loop.register(acceptor, events: Acceptor.events)
            }.get()
        }
        return server
    }

    // MARK: Channel

    var pipeline: ChannelPipeline { _pipeline }
    var closeFuture: EventLoopFuture<Void> { closePromise.futureResult }
    var eventLoop: any EventLoop { group.loops[0] }
    var remoteAddress: SocketAddress? { nil }
    var isWritable: Bool { false }
    var isActive: Bool { isOpen }

    // MARK: ChannelCore

    func localAddress0() throws -> SocketAddress {
        guard let localAddress else { throw ChannelError.operationUnsupported }
        return localAddress
    }

    func remoteAddress0() throws -> SocketAddress { throw ChannelError.operationUnsupported }
    func write0(_ data: NIOAny, promise: EventLoopPromise<Void>?) { promise?.fail(ChannelError.operationUnsupported) }
    func flush0() {}
    func read0() {}

    /// Each loop stops watching the listener; the socket closes once none does. Connections
    /// already accepted stay open.
    func close0(error: any Error, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard isOpen else {
            promise?.fail(ChannelError.alreadyClosed)
            return
        }
        isOpen = false
        let removals = acceptors.map { acceptor in
            acceptor.loop.submit {
                acceptor.closed = true
                acceptor.loop.deregister(acceptor, remove: true)
            }
        }
        acceptors = []
        let fd = self.fd
        EventLoopFuture.andAllComplete(removals, on: eventLoop).whenComplete { [self] _ in
            Glibc.close(fd)
            promise?.succeed()
            removeHandlers(pipeline: pipeline)
            closePromise.succeed()
        }
    }
}

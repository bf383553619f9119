import CEpoll
import Glibc
import NIOCore

/// A TCP connection on an `EpollLoop`: a NIO `Channel` whose pipeline holds the proxy's handlers
/// as on NIO's own sockets, with a lean core under it — registered once for edge-triggered reads
/// and writes, read into the loop's one buffer, written straight (`write`, or `writev` for
/// several buffers) when flushed. Everything runs on its loop.
///
/// As NIO's sockets: reads are asked for (`read0`) and, once a read is passed up, asked for
/// again by the pipeline unless a handler holds them back; writability follows 32/64 KiB water
/// marks; the other side's close (or a read error) closes the channel; handlers are removed and
/// `closeFuture` completes in a task after the close.
final class EpollSocketChannel: EpollHandle, EpollChannelBasics, @unchecked Sendable {
    let loop: EpollLoop
    private var _pipeline: ChannelPipeline!
    private let closePromise: EventLoopPromise<Void>
    let allocator: ByteBufferAllocator
    let remoteAddress: SocketAddress?

    private(set) var isOpen = true
    private(set) var isActive: Bool
    var isWritable = true

    /// A read was asked for and not yet made.
    private var readPending = false
    /// Bytes (or the end) may be waiting: edge-triggered, so set by an event and cleared only by
    /// a read that found less than it could take.
    private var readable = false
    /// The other side shut its end: reads continue until they return the end.
    private var hungUp = false
    private var queuedToRead = false

    struct Write {
        var buffer: ByteBuffer
        var promise: EventLoopPromise<Void>?
    }
    var writes = CircularBuffer<Write>(initialCapacity: 4)
    /// How many of `writes`, from the front, are flushed.
    var flushed = 0
    var pendingBytes = 0
    /// A write found the socket full: the rest goes when the kernel says it is writable again.
    var awaitingWritable = false
    static let lowWater = 32 * 1024
    static let highWater = 64 * 1024

    private var connectPromise: EventLoopPromise<Void>?
    private var connectTimer: Scheduled<Void>?

    init(fd: Int32, loop: EpollLoop, remoteAddress: SocketAddress?, active: Bool) {
        self.loop = loop
        self.allocator = loop.allocator
        self.remoteAddress = remoteAddress
        self.isActive = active
        closePromise = loop.makePromise()
        super.init(fd: fd)
        _pipeline = ChannelPipeline(channel: self)
    }

    // MARK: Channel

    var pipeline: ChannelPipeline { _pipeline }
    var closeFuture: EventLoopFuture<Void> { closePromise.futureResult }
    var eventLoop: any EventLoop { loop }
    var localAddress: SocketAddress? { try? localAddress0() }

    // MARK: ChannelCore

    func localAddress0() throws -> SocketAddress { try SocketAddress.local(of: fd) }

    func remoteAddress0() throws -> SocketAddress {
        guard let remoteAddress else { throw ChannelError.operationUnsupported }
        return remoteAddress
    }

    func read0() {
        guard isOpen else { return }
        readPending = true
        if readable, isActive { queueRead() }
    }

    private func queueRead() {
        guard !queuedToRead else { return }
        queuedToRead = true
        loop.readyToRead.append(self)
    }

    func close0(error: any Error, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard isOpen else {
            promise?.fail(ChannelError.alreadyClosed)
            return
        }
        guard mode == .all else {
            promise?.fail(ChannelError.operationUnsupported)
            return
        }
        isOpen = false
        let wasActive = isActive
        isActive = false
        loop.deregister(self)
        Glibc.close(fd)
        connectTimer?.cancel()
        connectTimer = nil
        if let connecting = connectPromise {
            connectPromise = nil
            connecting.fail(error)
        }
        let unwritten = writes
        writes.removeAll()
        flushed = 0
        pendingBytes = 0
        for write in unwritten { write.promise?.fail(ChannelError.ioOnClosedChannel) }
        promise?.succeed()
        if wasActive { pipeline.syncOperations.fireChannelInactive() }
        pipeline.syncOperations.fireChannelUnregistered()
        loop.execute { [self] in
            removeHandlers(pipeline: pipeline)
            closePromise.succeed()
        }
    }

    // MARK: Events

    override func ready(_ events: UInt32) {
        if connectPromise != nil {
            finishConnect()
            return
        }
        if events & (EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { hungUp = true }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readable = true
        }
        if events & (EPOLLOUT.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0, awaitingWritable {
            awaitingWritable = false
            writeFlushed()
            guard isOpen else { return }
        }
        if readable, readPending { readNow() }
    }

    /// Reads asked for while bytes were waiting, run before the loop waits again.
    func continueReading() {
        queuedToRead = false
        if isOpen, readable, readPending { readNow() }
    }

    private func readNow() {
        readPending = false
        loop.readBuffer.clear()
        var result = 0
        var error: Int32 = 0
        loop.readBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
            result = Glibc.read(fd, space.baseAddress, space.count)
            if result < 0 { error = errno }
            return max(result, 0)
        }
        if result > 0 {
            // A read that filled the buffer may have left more; the end, once seen, must be read.
            readable = result == loop.readBuffer.capacity || hungUp
            let bytes = loop.readBuffer
            pipeline.syncOperations.fireChannelRead(NIOAny(bytes))
            guard isOpen else { return }
            pipeline.syncOperations.fireChannelReadComplete()
            guard isOpen else { return }
            // Reads continue unless a handler holds them back (NIO's auto-read).
            if !readPending { pipeline.read() }
            if readable, readPending { queueRead() }
        } else if result == 0 {
            readable = false
            close0(error: ChannelError.eof, mode: .all, promise: nil)
        } else if error == EAGAIN || error == EWOULDBLOCK {
            readable = false
            readPending = true
        } else if error == EINTR {
            readPending = true
            queueRead()
        } else {
            let failure = IOError(errnoCode: error, reason: "read")
            pipeline.syncOperations.fireErrorCaught(failure)
            if isOpen { close0(error: failure, mode: .all, promise: nil) }
        }
    }

    // MARK: Connecting

    /// Opens a connection to `address` on `loop`; `initialize` adds the handlers before it is
    /// active. Fails with `ChannelError.connectTimeout` if the backend has not accepted in time.
    static func connect(
        to address: SocketAddress,
        on loop: EpollLoop,
        timeout: TimeAmount,
        initialize: (EpollSocketChannel) throws -> Void
    ) -> EventLoopFuture<EpollSocketChannel> {
        let fd = socket(
            Int32(address.protocol.rawValue),
            Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else { return loop.makeFailedFuture(IOError(errnoCode: errno, reason: "socket")) }
        setNoDelay(fd)
        let channel = EpollSocketChannel(fd: fd, loop: loop, remoteAddress: address, active: false)
        let promise: EventLoopPromise<Void> = loop.makePromise()
        channel.connectPromise = promise
        do {
            try initialize(channel)
            try loop.register(channel, events: Self.events)
        } catch {
            channel.close0(error: error, mode: .all, promise: nil)
            return loop.makeFailedFuture(error)
        }
        channel.pipeline.syncOperations.fireChannelRegistered()
        let rc = address.withSockAddr { pointer, size in Glibc.connect(fd, pointer, socklen_t(size)) }
        if rc == 0 {
            channel.finishConnect()
        } else if errno == EINPROGRESS {
            channel.connectTimer = loop.scheduleTask(in: timeout) {
                guard channel.connectPromise != nil else { return }
                channel.close0(error: ChannelError.connectTimeout(timeout), mode: .all, promise: nil)
            }
        } else {
            channel.close0(error: IOError(errnoCode: errno, reason: "connect"), mode: .all, promise: nil)
        }
        return promise.futureResult.map { channel }
    }

    private func finishConnect() {
        guard let promise = connectPromise else { return }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { error = errno }
        guard error == 0 else {
            close0(error: IOError(errnoCode: error, reason: "connect"), mode: .all, promise: nil)
            return
        }
        connectPromise = nil
        connectTimer?.cancel()
        connectTimer = nil
        isActive = true
        pipeline.syncOperations.fireChannelActive()
        promise.succeed()
        guard isOpen else { return }
        if flushed > 0 { writeFlushed() }
        if !readPending { pipeline.read() }
    }

    /// Reads, writes, the other side's close: registered once, edge-triggered.
    static let events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Starts an accepted connection: handlers added by `initialize`, then active and reading.
    func start(initialize: (EpollSocketChannel) throws -> Void) {
        do {
            try initialize(self)
            try loop.register(self, events: Self.events)
        } catch {
            close0(error: error, mode: .all, promise: nil)
            return
        }
        pipeline.syncOperations.fireChannelRegistered()
        pipeline.syncOperations.fireChannelActive()
        guard isOpen else { return }
        if !readPending { pipeline.read() }
    }
}

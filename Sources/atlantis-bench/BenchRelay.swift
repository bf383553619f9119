import ArgumentParser
import CEpoll
import Foundation
import Glibc
import NIOCore
import NIOPosix

/// A byte relay, not a proxy: each client connection gets its own backend connection and bytes
/// are passed on as they come, nothing parsed. It measures the floor under any HTTP proxy on this
/// machine — what the kernel and an event loop cost per request — with NIO's channels (`nio`) or
/// with the relay's own `epoll` loop (`epoll`), for `bench/router.sh`'s comparison of where the
/// router's CPU goes (`bench/io-floor.sh`). No timeouts, no backpressure: a bench tool only.
struct BenchRelay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "A TCP relay through NIO's channels or a plain epoll loop (the I/O floor under a proxy)."
    )

    enum Engine: String, ExpressibleByArgument { case nio, epoll }

    @Option(help: "nio or epoll") var engine: Engine = .epoll
    @Option(help: "Port to listen on (127.0.0.1).") var listen: Int
    @Option(help: "Backend port (127.0.0.1).") var backend: Int
    @Option(help: "Event-loop threads.") var threads: Int = 2

    func run() throws {
        switch engine {
        case .nio: try NIORelay(listen: listen, backend: backend, threads: threads).run()
        case .epoll: try EpollRelay(listen: listen, backend: backend, threads: threads).run()
        }
    }
}

/// The relay on NIO: a handler per side, each writing what it reads to the other's channel.
struct NIORelay {
    let listen: Int
    let backend: Int
    let threads: Int

    /// Writes to the partner through its `ChannelCore` and asks for the next read in
    /// `channelReadComplete`, as the router's handlers do (`ChannelHead`): NIO's cheapest path.
    final class Side: ChannelDuplexHandler, @unchecked Sendable {  // touched on its loop only
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var partner: (any Channel)? {
            didSet { partnerCore = partner?._channelCore }
        }
        private var partnerCore: (any ChannelCore)?
        private var core: (any ChannelCore)?
        var early: [ByteBuffer] = []

        func handlerAdded(context: ChannelHandlerContext) { core = context.channel._channelCore }
        func handlerRemoved(context: ChannelHandlerContext) { core = nil }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if let partnerCore { partnerCore.write0(data, promise: nil) } else { early.append(unwrapInboundIn(data)) }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            partnerCore?.flush0()
            core?.read0()
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner?.close(promise: nil)
            partner = nil
        }
    }

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let backendPort = backend
        let server = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { client in
                let clientSide = Side()
                let backendSide = Side()
                backendSide.partner = client
                return client.pipeline.addHandler(clientSide).flatMap {
                    ClientBootstrap(group: client.eventLoop)
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .channelInitializer { $0.pipeline.addHandler(backendSide) }
                        .connect(host: "127.0.0.1", port: backendPort)
                        .map { channel in
                            clientSide.partner = channel
                            for buffer in clientSide.early { channel.write(buffer, promise: nil) }
                            clientSide.early = []
                            channel.flush()
                        }
                }
            }
            .bind(host: "127.0.0.1", port: listen)
            .wait()
        print("relay (nio, \(threads) loops) on 127.0.0.1:\(listen) → 127.0.0.1:\(backend)")
        try server.closeFuture.wait()
    }
}

/// The relay on its own `epoll` loops: one listening socket per thread (`SO_REUSEPORT`, the
/// kernel spreads connections), level-triggered reads, writes straight to the peer.
struct EpollRelay {
    let listen: Int
    let backend: Int
    let threads: Int

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
    }

    func run() throws {
        print("relay (epoll, \(threads) threads) on 127.0.0.1:\(listen) → 127.0.0.1:\(backend)")
        for _ in 0..<threads {
            let listener = try Self.listener(port: listen)
            let backendPort = backend
            Thread { Self.loop(listener: listener, backend: backendPort) }.start()
        }
        while true { sleep(3600) }  // the loops never end; the bench kills the process
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func listener(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = address(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 1024) == 0 else { throw Failure("bind/listen 127.0.0.1:\(port)") }
        return fd
    }

    static func loop(listener: Int32, backend: Int) {
        let epoll = epoll_create1(0)
        var peer: [Int32: Int32] = [:]
        func watch(_ fd: Int32) {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            cepoll_set_fd(&event, fd)
            epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        }
        func drop(_ fd: Int32) {
            guard let other = peer.removeValue(forKey: fd) else { return }
            peer[other] = nil
            close(fd)
            close(other)
        }
        watch(listener)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
        var one: Int32 = 1
        while true {
            let ready = epoll_wait(epoll, &events, Int32(events.count), -1)
            guard ready > 0 else { continue }
            for i in 0..<Int(ready) {
                let fd = cepoll_data_fd(&events[i])
                if fd == listener {
                    while true {
                        let client = accept(listener, nil, nil)
                        guard client >= 0 else { break }
                        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                        var address = address(port: backend)
                        let connected = withUnsafePointer(to: &address) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                            }
                        }
                        guard connected == 0 else {
                            close(client)
                            close(upstream)
                            continue
                        }
                        _ = fcntl(upstream, F_SETFL, fcntl(upstream, F_GETFL) | O_NONBLOCK)
                        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                        setsockopt(upstream, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                        peer[client] = upstream
                        peer[upstream] = client
                        watch(client)
                        watch(upstream)
                    }
                    continue
                }
                guard let other = peer[fd] else { continue }
                let count = read(fd, buffer, 65536)
                if count <= 0 {
                    if count == 0 || (errno != EAGAIN && errno != EINTR) { drop(fd) }
                    continue
                }
                var written = 0
                while written < count {
                    let n = write(other, buffer + written, count - written)
                    if n > 0 {
                        written += n
                    } else if errno == EAGAIN {
                        var wait = pollfd(fd: other, events: Int16(POLLOUT), revents: 0)
                        poll(&wait, 1, 1000)
                    } else {
                        drop(fd)
                        break
                    }
                }
            }
        }
    }
}

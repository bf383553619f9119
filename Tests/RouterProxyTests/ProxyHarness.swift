import Foundation
import NIOCore
import NIOPosix
import RouterData
import RouterProxy
import Spawn
import TestSupport

/// Python backends and a proxy on loopback, and curl as the client.
final class ProxyHarness: @unchecked Sendable {
    static let repoRoot = URL(fileURLWithPath: Repository.root)

    var backends: [Int32] = []
    var proxyChannel: (any Channel)?
    var proxy: ProxyServer?
    var proxyPort = 0
    /// What runs the proxy's sockets: every test through the proxy runs on both engines.
    let engine: ProxyEngine
    private var epollLoops: EpollLoopGroup?

    init(engine: ProxyEngine = .nio) {
        self.engine = engine
    }

    /// Starts a backend and waits until it answers.
    func backend(_ name: String) throws -> Backend {
        let (pid, port) = try Loopback.startBackend(name, repoRoot: Self.repoRoot.path)
        backends.append(pid)
        return Backend(host: "127.0.0.1", port: port)
    }

    func start(_ table: RoutingTable, configuration: ProxyConfiguration = ProxyConfiguration()) async throws {
        let group: any EventLoopGroup
        switch engine {
        case .nio:
            group = MultiThreadedEventLoopGroup.singleton
        case .epoll:
            let loops = try EpollLoopGroup(numberOfThreads: 2)
            epollLoops = loops
            group = loops
        }
        let proxy = ProxyServer(tables: TableSource(table), configuration: configuration, group: group)
        let channel = try await proxy.bind(host: "127.0.0.1", port: 0)
        self.proxy = proxy
        proxyChannel = channel
        proxyPort = channel.localAddress!.port!
    }

    /// One backend, "A", routed from app.test (pool "a"): the set-up most tests need.
    @discardableResult
    func startWithOneBackend(configuration: ProxyConfiguration = ProxyConfiguration()) async throws -> Backend {
        let a = try backend("A")
        try await start(
            table([RouteRule(name: "app", host: .init("app.test"), pool: "a")], [Pool(name: "a", backends: [a])]),
            configuration: configuration
        )
        return a
    }

    func stop() async {
        try? await proxyChannel?.close().get()
        try? await epollLoops?.shutdownGracefully()
        for pid in backends { Spawn.kill(pid) }
    }

    struct Response {
        var status: Int
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Runs curl; the last URL's status and body. `direct` URLs are complete; others are paths on the proxy.
    func curl(_ arguments: [String], direct: Bool = false, host: String = "app.test") throws -> Response {
        // The last argument is the URL (a path on the proxy unless `direct`); the rest are curl options.
        let url = arguments.last.map { direct || !$0.hasPrefix("/") ? $0 : "http://127.0.0.1:\(proxyPort)\($0)" } ?? ""
        let (status, body) = Loopback.curl(url, host: direct ? nil : host, extra: Array(arguments.dropLast()))
        return Response(status: status, body: Data(body))
    }
}

extension ProxyHarness {
    /// curl's verbose log (stderr) for these arguments.
    func curlVerbose(_ arguments: [String]) throws -> String {
        Spawn.run3(["curl", "-s", "-v", "-o", "/dev/null", "--max-time", "10"] + arguments).stderr
    }
}

func table(_ rules: [RouteRule], _ pools: [Pool]) -> RoutingTable {
    RoutingTable(rules: rules, pools: pools)
}

/// A blocking loopback TCP connection, for protocols curl cannot speak (upgraded connections).
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // NIO's address, not `sockaddr_in`'s fields: with both Glibc and NIO's C shims imported,
        // the compiler may take the struct's fields to be the shims' (not imported here).
        let rc = try SocketAddress(ipAddress: "127.0.0.1", port: port).withSockAddr { address, size in
            connect(fd, address, socklen_t(size))
        }
        guard rc == 0 else { throw CocoaError(.fileReadUnknown) }
    }

    func send(_ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), 0) }
    }

    /// Reads until `terminator` has arrived (or the connection ends or times out).
    func read(until terminator: String) -> String {
        var out = [UInt8]()
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            out.append(byte)
            if String(decoding: out, as: UTF8.self).hasSuffix(terminator) { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Everything until the proxy closes the connection; nil if it stays open (5 s).
    func readUntilClosed() -> String? {
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return String(decoding: out, as: UTF8.self) }
            if n < 0 { return nil }
            out += buffer[0..<n]
        }
    }

    deinit { close(fd) }
}

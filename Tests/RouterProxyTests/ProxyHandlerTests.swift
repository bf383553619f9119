import Foundation
import Logging
import NIOCore
import NIOEmbedded
import RouterData
import Testing

@testable import RouterProxy

/// The proxy handler on an `EmbeddedChannel`: bytes in, bytes out, no sockets. Only paths that
/// need no backend (a backend connection needs a real event loop; ProxyTests cover those).
@Suite("ProxyHandler on an EmbeddedChannel")
struct ProxyHandlerTests {
    /// A channel with the handler, an empty table (every request has no route) and the given limits.
    static func channel(configuration: ProxyConfiguration = ProxyConfiguration()) throws -> EmbeddedChannel {
        let loop = EmbeddedEventLoop()
        let metrics = ProxyMetrics()
        let handler = ProxyHandler(
            tables: TableSource(),
            pools: PerLoop(group: loop) { BackendConnectionPool(eventLoop: $0, configuration: configuration) },
            counts: PerLoop(group: loop) { _ in LoopCounts(metrics: metrics) },
            ejections: Ejections(),
            configuration: configuration,
            metrics: metrics,
            logger: Logger(label: "test")
        )
        let channel = EmbeddedChannel(handler: handler, loop: loop)
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        return channel
    }

    /// Everything the handler wrote, as text.
    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    static func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Status lines in the order they were written.
    static func statuses(_ text: String) -> [String] {
        // Bodies end in a bare LF here, so split on LF and look for status lines only.
        text.split(separator: "\n").filter { $0.hasPrefix("HTTP/1.1 ") }.map { String($0.prefix(12)) }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws {
        let channel = try Self.channel()
        try Self.send(channel, "GET /a HTTP/1.1\r\nHost: one.test\r\n\r\nGET /b HTTP/1.1\r\nHost: two.test\r\n\r\n")
        let out = try Self.written(channel)
        #expect(Self.statuses(out) == ["HTTP/1.1 404", "HTTP/1.1 404"], "\(out)")
        let first = try #require(out.range(of: "no route for one.test/a"), "\(out)")
        let second = try #require(out.range(of: "no route for two.test/b"), "\(out)")
        #expect(first.lowerBound < second.lowerBound, "answered in the order asked: \(out)")
        #expect(channel.isActive, "a 404 keeps the connection open")
        _ = try? channel.finish()
    }

    @Test func aMalformedRequestGets400NamingItAndTheConnectionCloses() throws {
        let channel = try Self.channel()
        try Self.send(channel, "GET / HTTP/1.1\r\nHost: a.test\r\nBad Header: x\r\n\r\n")
        let out = try Self.written(channel)
        #expect(Self.statuses(out) == ["HTTP/1.1 400"], "\(out)")
        #expect(!channel.isActive, "the connection closes after a malformed request")
        _ = try? channel.finish()
    }

    @Test func aHeadOverTheLimitGets431() throws {
        var configuration = ProxyConfiguration()
        configuration.maxHeadBytes = 1024
        let channel = try Self.channel(configuration: configuration)
        try Self.send(
            channel,
            "GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n"
        )
        let out = try Self.written(channel)
        #expect(Self.statuses(out) == ["HTTP/1.1 431"], "\(out)")
        _ = try? channel.finish()
    }

    /// `Expect: 100-continue` to a host with no route: the final answer comes at once, without an
    /// interim 100 that would invite a body nobody reads.
    @Test func expectContinueWithoutARouteIsAnsweredWithoutAnInterim100() throws {
        let channel = try Self.channel()
        try Self.send(
            channel,
            "POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        let out = try Self.written(channel)
        #expect(!out.contains("HTTP/1.1 100"), "\(out)")
        #expect(Self.statuses(out) == ["HTTP/1.1 404"], "\(out)")
        _ = try? channel.finish()
    }

    @Test func aRequestSplitAcrossReadsIsAnsweredOnceItIsWhole() throws {
        let channel = try Self.channel()
        try Self.send(channel, "GET /a HTTP/1.1\r\nHo")
        #expect(try Self.written(channel).isEmpty, "nothing is answered before the head is complete")
        try Self.send(channel, "st: a.test\r\n\r\n")
        #expect(Self.statuses(try Self.written(channel)) == ["HTTP/1.1 404"])
        _ = try? channel.finish()
    }
}

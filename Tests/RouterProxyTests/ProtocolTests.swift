import Foundation
import RouterData
import RouterProxy
import Testing

/// HTTP/1.1 details the proxy now reads and writes itself, against the real Python backend.
@Suite("HTTP/1.1 semantics through the proxy", .serialized)
struct ProtocolTests {
    private func started(
        _ configuration: ProxyConfiguration = ProxyConfiguration(),
        engine: ProxyEngine
    ) async throws -> ProxyHarness {
        let h = ProxyHarness(engine: engine)
        try await h.startWithOneBackend(configuration: configuration)
        return h
    }

    @Test(arguments: ProxyEngine.allCases) func http10ClientsGetAnswersAndKeepAliveOnlyWhenAsked(
        engine: ProxyEngine
    ) async throws {
        let h = try await started(engine: engine)
        #expect(try h.curl(["--http1.0", "/ten"]).text == "A /ten\n")
        let keep = try RawConnection(port: h.proxyPort)
        keep.send("GET /one HTTP/1.0\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n")
        let first = keep.read(until: "A /one\n")
        #expect(first.lowercased().contains("connection: keep-alive"), "\(first)")
        keep.send("GET /two HTTP/1.0\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n")
        #expect(keep.read(until: "A /two\n").hasSuffix("A /two\n"))
        let close = try RawConnection(port: h.proxyPort)
        close.send("GET /three HTTP/1.0\r\nHost: app.test\r\n\r\n")
        let all = try #require(close.readUntilClosed(), "an HTTP/1.0 request without keep-alive closes the connection")
        #expect(all.hasSuffix("A /three\n"))
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func headAnd204And304HaveNoBodyAndKeepTheConnection(
        engine: ProxyEngine
    ) async throws {
        let h = try await started(engine: engine)
        let c = try RawConnection(port: h.proxyPort)
        c.send(
            "HEAD /h HTTP/1.1\r\nHost: app.test\r\n\r\n" + "GET /status?code=204 HTTP/1.1\r\nHost: app.test\r\n\r\n"
                + "GET /status?code=304 HTTP/1.1\r\nHost: app.test\r\n\r\n"
                + "GET /after HTTP/1.1\r\nHost: app.test\r\n\r\n"
        )
        let text = c.read(until: "A /after\n")
        #expect(text.hasSuffix("A /after\n"), "\(text)")
        #expect(text.contains("HTTP/1.1 200") && text.lowercased().contains("content-length: 100"))
        #expect(text.contains("HTTP/1.1 204") && text.contains("HTTP/1.1 304"))
        // The HEAD's declared length was not waited for: the next answers follow right after.
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 5)
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func aBodyWithoutLengthEndsWithTheConnectionAndTrailersPassThrough(
        engine: ProxyEngine
    ) async throws {
        let h = try await started(engine: engine)
        let c = try RawConnection(port: h.proxyPort)
        c.send("GET /nolength HTTP/1.1\r\nHost: app.test\r\n\r\n")
        let text = try #require(c.readUntilClosed(), "a response delimited by close closes the client connection")
        #expect(text.lowercased().contains("connection: close"))
        #expect(text.hasSuffix("until close\n"))
        let t = try RawConnection(port: h.proxyPort)
        t.send("GET /trailers HTTP/1.1\r\nHost: app.test\r\n\r\n")
        let chunked = t.read(until: "\r\n0\r\nx-checksum: abc\r\n\r\n")
        #expect(chunked.hasSuffix("5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n"), "\(chunked)")
        #expect(!chunked.lowercased().contains("\r\ntrailer:"), "Trailer is a hop-by-hop field")
        await h.stop()
    }

    @Test(
        arguments: [
            (
                "POST /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "400", "both Content-Length and Transfer-Encoding"
            ),
            ("GET / HTTP/1.1\r\nHost: app.test\r\nNoColon\r\n\r\n", "400", "header line without a colon"),
            ("GET / HTTP/1.1\r\nHost: app.test\r\nBad Name: x\r\n\r\n", "400", "malformed header name"),
            ("GET / HTTP/1.1\r\nHost: app.test\r\n folded\r\n\r\n", "400", "folded header lines"),
            (
                "POST /echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400",
                "malformed chunk size"
            ),
            ("GET / HTTP/3.0\r\nHost: app.test\r\n\r\n", "505", "HTTP version not supported"),
        ],
        ProxyEngine.allCases
    )
    func malformedRequestsAreRefusedAndTheConnectionClosed(
        request: (String, String, String),
        engine: ProxyEngine
    ) async throws {
        let (request, status, words) = request
        let h = try await started(engine: engine)
        let c = try RawConnection(port: h.proxyPort)
        c.send(request + "GET /smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n")
        let text = try #require(c.readUntilClosed(), "the proxy closes the connection after refusing")
        #expect(text.hasPrefix("HTTP/1.1 \(status)"), "\(text)")
        #expect(text.contains(words), "\(text)")
        #expect(!text.contains("A /smuggled"), "nothing after a refused request is forwarded")
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func requestsAreRoutedByTheHostAndPathTheBackendWillSee(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        let a = try h.backend("A")
        let b = try h.backend("B")
        try await h.start(
            table(
                [
                    RouteRule(name: "web", host: .init("app.test"), pool: "a"),
                    RouteRule(name: "api", host: .init("app.test"), pathPrefix: "/api", pool: "b"),
                ],
                [Pool(name: "a", backends: [a]), Pool(name: "b", backends: [b])]
            )
        )
        let c = try RawConnection(port: h.proxyPort)
        // Absolute form: its host wins over Host (elsewhere.test has no route), and the backend
        // gets the origin form with a Host that agrees.
        c.send("GET http://app.test/target?x=1 HTTP/1.1\r\nHost: elsewhere.test\r\n\r\n")
        let absolute = c.read(until: "host: app.test\n")
        #expect(absolute.hasPrefix("HTTP/1.1 200"), "\(absolute)")
        #expect(absolute.hasSuffix("target: /target?x=1\nhost: app.test\n"), "\(absolute)")
        // Dot segments are resolved for routing (to the api pool) and the target passes as it came.
        c.send("GET /web/../api/x HTTP/1.1\r\nHost: app.test\r\n\r\n")
        let dotted = c.read(until: "/api/x\n")
        #expect(dotted.hasSuffix("B /web/../api/x\n"), "\(dotted)")
        // So are escaped dots and other escaped unreserved characters (%2e is ".", %61 is "a").
        c.send("GET /web/%2e%2E/%61pi/y HTTP/1.1\r\nHost: app.test\r\n\r\n")
        let escaped = c.read(until: "/%61pi/y\n")
        #expect(escaped.hasSuffix("B /web/%2e%2E/%61pi/y\n"), "\(escaped)")
        // OPTIONS * is passed on: the Python backend answers it itself (501, no such method there).
        c.send("OPTIONS * HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n\r\n")
        let options = c.read(until: "\r\n\r\n")
        #expect(options.hasPrefix("HTTP/1.1 501"), "\(options)")

        for (request, words) in [
            ("GET /x HTTP/1.1\r\nHost: app.test\r\nHost: other.test\r\n\r\n", "more than one Host field"),
            ("GET /x HTTP/1.1\r\nAccept: */*\r\n\r\n", "HTTP/1.1 request without a Host field"),
            (
                "GET /x HTTP/1.1\r\nHost: app.test/../admin\r\n\r\n",
                "Host field is not a host name or address with an optional port"
            ),
            ("GET /../x HTTP/1.1\r\nHost: app.test\r\n\r\n", "request target climbs above the root with '..'"),
            ("GET /%2e%2e/x HTTP/1.1\r\nHost: app.test\r\n\r\n", "request target climbs above the root with '..'"),
            ("GET /a%2x HTTP/1.1\r\nHost: app.test\r\n\r\n", "request path has a '%' not followed by two hex digits"),
            ("GET * HTTP/1.1\r\nHost: app.test\r\n\r\n", "request target * is for OPTIONS only"),
        ] {
            let refused = try RawConnection(port: h.proxyPort)
            refused.send(request)
            let text = refused.read(until: words + "\n")
            #expect(text.hasPrefix("HTTP/1.1 400"), "\(request): \(text)")
            #expect(text.contains(words), "\(request): \(text)")
        }
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func idleAndStalledConnectionsAreClosedAfterTheIdleTimeout(
        engine: ProxyEngine
    ) async throws {
        var configuration = ProxyConfiguration()
        configuration.idleTimeout = .milliseconds(300)
        let h = try await started(configuration, engine: engine)
        let idle = try RawConnection(port: h.proxyPort)
        idle.send("GET /once HTTP/1.1\r\nHost: app.test\r\n\r\n")
        #expect(idle.read(until: "A /once\n").hasSuffix("A /once\n"))
        let start = ContinuousClock.now
        #expect(idle.readUntilClosed() == "", "an idle keep-alive connection is closed")
        #expect(ContinuousClock.now - start >= .milliseconds(250))
        // A client that sends half a head and stops is not kept forever either.
        let stalled = try RawConnection(port: h.proxyPort)
        stalled.send("GET /half HTTP/1.1\r\nHost: app")
        #expect(stalled.readUntilClosed() == "")
        // A slow exchange is not idle: a response that takes longer than the idle timeout arrives.
        #expect(try h.curl(["/slow?ms=700"]).text == "slow\n")
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func theHeadLimitIsConfigurable(engine: ProxyEngine) async throws {
        var configuration = ProxyConfiguration()
        configuration.maxHeadBytes = 2048
        let h = try await started(configuration, engine: engine)
        #expect(try h.curl(["-H", "X-Pad: \(String(repeating: "p", count: 1000))", "/fits"]).status == 200)
        let refused = try h.curl(["-H", "X-Pad: \(String(repeating: "p", count: 3000))", "/too-big"])
        #expect(refused.status == 431)
        #expect(refused.text.contains("larger than 2048 bytes"))
        await h.stop()
    }
}

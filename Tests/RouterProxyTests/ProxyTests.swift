import CoreMetrics
import Foundation
import MetricsTestKit
import RouterData
import RouterProxy
import Spawn
import TestSupport
import Testing

/// The process's metrics backend for tests that read counters (bootstrapped once: a second
/// bootstrap traps).
enum TestMetricsOnce {
    static let shared: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()
}

@Suite("Reverse proxy against real backends", .serialized)
struct ProxyTests {
    @Test(arguments: ProxyEngine.allCases) func routesByHostAndPathAndAnswersWhenItCannot(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        let a = try h.backend("A")
        let b = try h.backend("B")
        try await h.start(
            table(
                [
                    RouteRule(name: "app", host: .init("app.test"), pool: "a"),
                    RouteRule(name: "app-b", host: .init("app.test"), pathPrefix: "/b", pool: "b"),
                    RouteRule(name: "empty", host: .init("empty.test"), pool: "none"),
                ],
                [Pool(name: "a", backends: [a]), Pool(name: "b", backends: [b]), Pool(name: "none", backends: [])]
            )
        )
        #expect(try h.curl(["/x"]).text == "A /x\n")
        #expect(try h.curl(["/b/y?q=1"]).text == "B /b/y\n")
        let missing = try h.curl(["/"], host: "nowhere.test")
        #expect(missing.status == 404)
        #expect(missing.text.contains("no route for nowhere.test/"))
        #expect(try h.curl(["/"], host: "empty.test").status == 503)
        // An error for a request without a body keeps the connection: curl reuses it.
        let log = try h.curlVerbose([
            "-H", "Host: nowhere.test", "http://127.0.0.1:\(h.proxyPort)/a", "http://127.0.0.1:\(h.proxyPort)/b",
        ])
        #expect(log.contains("Re-using existing connection") || log.contains("Reusing existing connection"))
        #expect(!log.contains("connection: close"))
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func pipelinedRequestsAreAnsweredInOrder(engine: ProxyEngine) async throws {
        let h = ProxyHarness(engine: engine)
        try await h.startWithOneBackend()
        // Three requests in one write, the second without a route: three answers, in order.
        let connection = try RawConnection(port: h.proxyPort)
        connection.send(
            "GET /p1 HTTP/1.1\r\nHost: app.test\r\n\r\n"
                + "GET /p2 HTTP/1.1\r\nHost: nowhere.test\r\n\r\n"
                + "GET /p3 HTTP/1.1\r\nHost: app.test\r\n\r\n"
        )
        let text = connection.read(until: "A /p3\n")
        let first = try #require(text.range(of: "A /p1\n"))
        let second = try #require(text.range(of: "no route for nowhere.test/p2"))
        let third = try #require(text.range(of: "A /p3\n"))
        #expect(first.upperBound <= second.lowerBound && second.upperBound <= third.lowerBound)
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 4)
        // The connection still serves a fourth request afterwards.
        connection.send("GET /p4 HTTP/1.1\r\nHost: app.test\r\n\r\n")
        #expect(connection.read(until: "A /p4\n").hasSuffix("A /p4\n"))
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func forwardedHeadersAreAddedAndHopByHopHeadersRemoved(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        try await h.startWithOneBackend()
        let seen = try h.curl([
            "-H", "Connection: keep-alive, X-Secret", "-H", "X-Secret: 1", "-H", "Keep-Alive: timeout=5",
            "-H", "X-Forwarded-For: 10.1.1.1", "/headers",
        ]).text
        #expect(seen.contains("x-forwarded-for: 10.1.1.1, 127.0.0.1"))
        #expect(seen.contains("x-forwarded-proto: http"))
        #expect(seen.contains("x-forwarded-host: app.test"))
        #expect(seen.contains("host: app.test"))
        #expect(!seen.contains("x-secret"))
        #expect(!seen.contains("keep-alive"))
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func tenMegabytesUpAndDownChunkedAndNot(engine: ProxyEngine) async throws {
        let h = ProxyHarness(engine: engine)
        try await h.startWithOneBackend()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString)")
        var payload = Data(count: 10 * 1024 * 1024)
        for i in stride(from: 0, to: payload.count, by: 4096) { payload[i] = UInt8(truncatingIfNeeded: i / 4096) }
        try payload.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let plain = try h.curl(["--data-binary", "@\(file.path)", "/echo"])
        #expect(plain.status == 200)
        #expect(plain.body == payload)
        let chunked = try h.curl(["-H", "Transfer-Encoding: chunked", "--data-binary", "@\(file.path)", "/echo"])
        #expect(chunked.status == 200)
        #expect(chunked.body == payload)
        let download = try h.curl(["/bytes?n=10485760"])
        #expect(download.status == 200)
        #expect(download.body.count == 10_485_760)
        // A slow client: the proxy must hold back the backend, not buffer everything, and finish.
        let slow = try h.curl(["--limit-rate", "2M", "/bytes?n=4194304"])
        #expect(slow.body.count == 4_194_304)
        // The backend connection may have finished while paused for the slow client: it must still work.
        for _ in 0..<3 { #expect(try h.curl(["/bytes?n=1048576"]).body.count == 1_048_576) }
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func backendConnectionsAreReusedAcrossClientConnections(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        let a = try await h.startWithOneBackend()
        let before = Int(
            try h.curl(["http://\(a)/connections"], direct: true).text.trimmingCharacters(in: .whitespacesAndNewlines)
        )!
        for i in 0..<20 { #expect(try h.curl(["/r\(i)"]).status == 200) }
        let after = Int(
            try h.curl(["http://\(a)/connections"], direct: true).text.trimmingCharacters(in: .whitespacesAndNewlines)
        )!
        // One connection per event loop at most, plus the direct /connections request itself.
        #expect(after - before - 1 <= ProcessInfo.processInfo.activeProcessorCount)
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func aBackendClosingEarlyIsA502CountedForItsPool(
        engine: ProxyEngine
    ) async throws {
        let metrics = TestMetricsOnce.shared
        let h = ProxyHarness(engine: engine)
        try await h.startWithOneBackend()
        let counted = {
            metrics.counters(
                label: "atlantis_router_upstream_errors_total",
                dimensions: [("pool", "a"), ("kind", "closed")]
            ).first?.totalValue ?? 0
        }
        let before = counted()
        let r = try h.curl(["/close-early"])
        #expect(r.status == 502)
        #expect(r.text.contains("closed the connection without answering"))
        #expect(counted() == before + 1, "upstream errors are counted per pool")
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func aBackendSwitchingProtocolsUnaskedIsA502(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        try await h.startWithOneBackend()
        // Not an interim response to wait past: what follows a 101 is another protocol.
        let r = try h.curl(["--max-time", "5", "/status?code=101"])
        #expect(r.status == 502)
        #expect(r.text == "backend switched protocols (101) for a request that asked for no upgrade\n")
        #expect(try h.curl(["/after"]).text == "A /after\n")
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func requestsResponsesAndLatenciesReachTheMetricsBackend(
        engine: ProxyEngine
    ) async throws {
        let metrics = TestMetricsOnce.shared
        let h = ProxyHarness(engine: engine)
        try await h.startWithOneBackend()
        func total(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
            metrics.counters(label: label, dimensions: dimensions).map(\.totalValue).reduce(0, +)
        }
        let requests = total("atlantis_router_requests_total")
        let ok = total("atlantis_router_responses_total", [("class", "2xx")])
        let notFound = total("atlantis_router_responses_total", [("class", "4xx")])
        let timed = metrics.timers(label: "atlantis_router_request_duration_seconds").map(\.values.count).reduce(0, +)
        #expect(try h.curl(["/m1"]).status == 200)
        #expect(try h.curl(["/m2"]).status == 200)
        #expect(try h.curl(["/m3"], host: "nowhere.test").status == 404)
        // Counted per event loop and handed over in batches (every 500 ms): they arrive shortly.
        // At least these: the metrics are process-wide, and other tests' requests (another suite
        // running alongside, or the test before, whose batch may land after the baseline) add to them.
        let arrived = await eventually(.seconds(5)) {
            total("atlantis_router_requests_total") >= requests + 3
                && total("atlantis_router_responses_total", [("class", "2xx")]) >= ok + 2
                && total("atlantis_router_responses_total", [("class", "4xx")]) >= notFound + 1
                && metrics.timers(label: "atlantis_router_request_duration_seconds").map(\.values.count).reduce(0, +)
                    >= timed + 2
        }
        #expect(arrived, "requests \(total("atlantis_router_requests_total") - requests)")
        await h.stop()
    }

    /// A backend's idle timeout can close a kept-alive connection just as the next request goes
    /// out on it. That is not the backend failing: the request is sent again on a new connection,
    /// and the backend is not ejected.
    @Test(arguments: ProxyEngine.allCases) func aKeptAliveConnectionClosedAsARequestGoesOutIsRetriedNotEjected(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        let a = try await h.startWithOneBackend()
        // One client connection, so both requests use its event loop's pool: the second takes the
        // kept-alive connection of the first, which the backend then closes without answering.
        let c = try RawConnection(port: h.proxyPort)
        c.send("GET /arm-close HTTP/1.1\r\nHost: app.test\r\n\r\n")
        #expect(c.read(until: "A /arm-close\n").hasPrefix("HTTP/1.1 200"))
        c.send("GET /after HTTP/1.1\r\nHost: app.test\r\n\r\n")
        let second = c.read(until: "A /after\n")
        #expect(second.hasPrefix("HTTP/1.1 200"), "\(second)")
        #expect(h.proxy!.ejections.isEjected(a) == false)
        // A POST (not idempotent) on such a connection is not sent twice: the client gets a 502.
        c.send("GET /arm-close HTTP/1.1\r\nHost: app.test\r\n\r\n")
        #expect(c.read(until: "A /arm-close\n").hasPrefix("HTTP/1.1 200"))
        c.send("POST /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 2\r\n\r\nhi")
        #expect(c.read(until: "\r\n").hasPrefix("HTTP/1.1 502"))
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func refusedConnectionsAreRetriedOnAnotherBackendAndEjected(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        let live = try h.backend("live")
        let dead = Backend(host: "127.0.0.1", port: Loopback.freePort())
        try await h.start(
            table(
                [RouteRule(name: "app", host: .init("app.test"), pool: "p")],
                [Pool(name: "p", backends: [dead, live])]
            )
        )
        for _ in 0..<10 {
            let r = try h.curl(["/x"])
            #expect(r.status == 200)
            #expect(r.text == "live /x\n")
        }
        #expect(h.proxy?.ejections.isEjected(dead) == true)
        // A POST is not retried elsewhere once a backend was tried: but the dead one is ejected now.
        #expect(try h.curl(["--data", "x", "/echo"]).status == 200)
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func slowBackendsGet504AndOversizeHeadersAreRefused(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        let a = try h.backend("A")
        var configuration = ProxyConfiguration()
        configuration.responseTimeout = .milliseconds(300)
        try await h.start(
            table([RouteRule(name: "app", host: .init("app.test"), pool: "a")], [Pool(name: "a", backends: [a])]),
            configuration: configuration
        )
        let slow = try h.curl(["/slow?ms=2000"])
        #expect(slow.status == 504)
        #expect(try h.curl(["/slow?ms=10"]).status == 200)
        let huge = String(repeating: "a", count: 100_000)
        let refused = try h.curl(["-H", "X-Huge: \(huge)", "/x"])
        #expect(refused.status == 400 || refused.status == 431)
        await h.stop()
    }

    @Test(arguments: ProxyEngine.allCases) func tableSwapsUnderLoadDropNothing(engine: ProxyEngine) async throws {
        let h = ProxyHarness(engine: engine)
        let a = try h.backend("A")
        let b = try h.backend("B")
        let tableA = table(
            [RouteRule(name: "app", host: .init("app.test"), pool: "p")],
            [Pool(name: "p", backends: [a])]
        )
        let tableB = table(
            [RouteRule(name: "app", host: .init("app.test"), pool: "p")],
            [Pool(name: "p", backends: [b])]
        )
        try await h.start(tableA)
        let swapper = Task {
            var flip = false
            while !Task.isCancelled {
                h.proxy?.tables.replace(with: flip ? tableA : tableB)
                flip.toggle()
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let urls = (0..<400).map { "http://127.0.0.1:\(h.proxyPort)/n\($0)" }
        let codes = Spawn.run3(
            ["curl", "-s", "-w", "%{http_code}\\n", "-H", "Host: app.test", "--parallel", "--parallel-max", "16"]
                + urls.flatMap { ["-o", "/dev/null", $0] }
        ).stdout.split(separator: "\n")
        swapper.cancel()
        #expect(codes.count == 400)
        #expect(codes.allSatisfy { $0 == "200" }, "\(Dictionary(grouping: codes, by: { $0 }).mapValues(\.count))")
        await h.stop()
    }
}

@Suite("Upgraded connections through the proxy", .serialized)
struct UpgradeTests {
    @Test(arguments: ProxyEngine.allCases) func anUpgradedConnectionRelaysBytesAndSurvivesRouteChanges(
        engine: ProxyEngine
    ) async throws {
        let h = ProxyHarness(engine: engine)
        let a = try h.backend("A")
        let b = try h.backend("B")
        let tableA = table(
            [RouteRule(name: "app", host: .init("app.test"), pool: "p")],
            [Pool(name: "p", backends: [a])]
        )
        let tableB = table(
            [RouteRule(name: "app", host: .init("app.test"), pool: "p")],
            [Pool(name: "p", backends: [b])]
        )
        try await h.start(tableA)
        let conn = try RawConnection(port: h.proxyPort)
        conn.send("GET /upgrade HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        let head = conn.read(until: "\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 101"), "\(head)")
        #expect(head.lowercased().contains("upgrade: echo"))
        conn.send("hello\n")
        #expect(conn.read(until: "\n") == "A: hello\n")
        // Any number of route changes: the upgraded connection stays with its backend.
        for i in 0..<20 {
            h.proxy?.tables.replace(with: i % 2 == 0 ? tableB : tableA)
            conn.send("line \(i)\n")
            #expect(conn.read(until: "\n") == "A: line \(i)\n")
        }
        // New requests follow the new table meanwhile.
        h.proxy?.tables.replace(with: tableB)
        #expect(try h.curl(["/x"]).text == "B /x\n")
        await h.stop()
    }
}

import AgentOptions
import ArgumentParser
import AsyncHTTPClient
import CLIOptions
import Foundation
import Manager
import NIOCore
import NIOHTTP1
import ZKModel
import ZooKeeper

/// The dashboard at scale (bench/dashboard.sh): seeds `--apps` apps × 2 environments, then
/// 1. the apps page's server time (its `Server-Timing`) and the client's, p50/p99;
/// 2. a znode write → the `rows` event an SSE client receives, p50/p99, beside the bare
///    ZooKeeper watch (a second session's one-shot watch on the written node).
struct BenchDashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Apps page server time and znode write → SSE event latency, beside a bare ZooKeeper watch."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The manager (its /ui must be open: a manager without --ldap-config).")
    var manager = "http://127.0.0.1:18291"

    @Option var apps = 500
    @Option var pages = 200
    @Option var writes = 200
    @Option(help: "Milliseconds between writes (above the coalescing window, so each write is its own event).")
    var gap = 250

    func run() async throws {
        let (apps, pages, writes, gap, base) = (self.apps, self.pages, self.writes, self.gap, self.manager)
        try await cluster.withZooKeeper { zk, tree in
            try await Self.seed(zk, tree, apps: apps)
            let http = HTTPClient.shared

            // Wait until the manager's view has every row.
            var after = ""
            for _ in 0..<600 {
                let (body, _, _) = try await Self.get(http, base + "/ui")
                if body.components(separatedBy: "<tr data-key=\"env/").count - 1 >= apps * 2 {
                    after = Self.attribute(body, "data-after=\"") ?? ""
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            guard !after.isEmpty else { throw ValidationError("the apps page never listed \(apps * 2) environments") }

            var server: [Double] = []
            var client: [Double] = []
            var size = 0
            for _ in 0..<pages {
                let started = ContinuousClock.now
                let (body, timing, _) = try await Self.get(http, base + "/ui")
                client.append((ContinuousClock.now - started) / .milliseconds(1))
                server.append(timing)
                size = body.utf8.count
            }
            print("apps page at \(apps) apps × 2 environments (\(size / 1024) KiB):")
            print("  server time  p50 \(Self.pct(server, 0.5)) ms  p99 \(Self.pct(server, 0.99)) ms  (\(pages) GETs)")
            print("  client time  p50 \(Self.pct(client, 0.5)) ms  p99 \(Self.pct(client, 0.99)) ms")

            // Bare ZooKeeper: write on one session, a watch on another.
            let watcher = try await ZooKeeperClient.connect(try cluster.zooKeeperConfiguration(timeouts: true))
            let bare = tree.instanceStatus("bench-bare")
            try await zk.ensurePath(tree.instanceStatus)
            try await zk.upsert(bare, data: [])
            var watchLatency: [Double] = []
            for i in 0..<writes {
                let (_, _, watch) = try await watcher.getDataAndWatch(bare)
                let started = ContinuousClock.now
                _ = try await zk.setData(bare, data: Array("\(i)".utf8))
                _ = await watch.wait()
                watchLatency.append((ContinuousClock.now - started) / .milliseconds(1))
            }
            await watcher.close()

            // Through the manager: a supervisor-like report → the SSE event that carries it.
            let path = tree.instanceStatus("bench-sse")
            var request = HTTPClientRequest(url: base + "/ui/events?watch=inst/app0/prod/&after=\(after)")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await http.execute(request, deadline: .distantFuture)
            let (marks, mark) = AsyncStream<Int>.makeStream()
            let reader = Task {
                var pending = ""
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let block = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        if let port = Self.port(in: block) { mark.yield(port) }
                    }
                }
            }
            var iterator = marks.makeAsyncIterator()
            var sse: [Double] = []
            var maxBytes = 0
            for i in 0..<writes {
                var status = InstanceStatus(
                    app: "app0",
                    environment: "prod",
                    host: "127.0.0.1",
                    port: 40000 + i,
                    healthy: true
                )
                status.zone = "zone-a"
                let data = try Payload.encode(status)
                let started = ContinuousClock.now
                try await zk.upsert(path, data: data)
                while let port = await iterator.next() {
                    if port == 40000 + i { break }
                }
                sse.append((ContinuousClock.now - started) / .milliseconds(1))
                maxBytes = max(maxBytes, data.count)
                try await Task.sleep(for: .milliseconds(gap))
            }
            reader.cancel()
            try? await zk.delete(path)
            try? await zk.delete(bare)
            print("znode write → event (\(writes) writes, one every \(gap) ms):")
            print(
                "  bare ZooKeeper watch  p50 \(Self.pct(watchLatency, 0.5)) ms  p99 \(Self.pct(watchLatency, 0.99)) ms"
            )
            print(
                "  dashboard SSE event   p50 \(Self.pct(sse, 0.5)) ms  p99 \(Self.pct(sse, 0.99)) ms  (coalescing included)"
            )
        }
    }

    /// The port of the `inst/app0/prod/bench-sse` row in an event, if it carries it.
    static func port(in block: String) -> Int? {
        guard block.contains("inst/app0/prod/bench-sse"), let range = block.range(of: "127.0.0.1:") else { return nil }
        return Int(block[range.upperBound...].prefix { $0.isNumber })
    }

    static func get(_ http: HTTPClient, _ url: String) async throws -> (String, Double, Int) {
        let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        let timing = response.headers["Server-Timing"].first.flatMap { header in
            header.split(separator: "=").last.flatMap { Double($0) }
        }
        return (String(buffer: body), timing ?? -1, Int(response.status.code))
    }

    static func attribute(_ body: String, _ marker: String) -> String? {
        guard let start = body.range(of: marker) else { return nil }
        let rest = body[start.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func pct(_ values: [Double], _ q: Double) -> String {
        values.isEmpty ? "-" : String(format: "%.2f", percentile(values, q))
    }

    /// The nearest-rank quantile `q` of `values` (0 when there are none).
    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
    }

    /// Apps and Deploys through the manager's own validation, 50 apps a transaction; a no-op
    /// when they are there.
    static func seed(_ zk: ZooKeeperClient, _ tree: ZNodeTree, apps: Int) async throws {
        let manager = Manager(store: ClusterStore(zk: zk, tree: tree))
        if try await zk.exists(tree.desired(DocumentKey(kind: .deploy, name: "app\(apps - 1)-staging"))) != nil {
            return
        }
        let team = "apiVersion: atlantis/v1\nkind: Team\nmetadata: {name: bench}\nspec: {members: [ann]}\n"
        try await manager.apply(try ManifestLoader().parse(team, file: "team.yaml"), options: .init())
        for first in stride(from: 0, to: apps, by: 50) {
            let yaml = (first..<min(apps, first + 50)).map { i in
                """
                apiVersion: atlantis/v1
                kind: App
                metadata: {name: app\(i)}
                spec: {team: bench, port: 8080}
                ---
                apiVersion: atlantis/v1
                kind: Deploy
                metadata: {name: app\(i)-prod}
                spec: {app: app\(i), environment: prod, image: "127.0.0.1:5000/app:\(i)", instances: 2}
                ---
                apiVersion: atlantis/v1
                kind: Deploy
                metadata: {name: app\(i)-staging}
                spec: {app: app\(i), environment: staging, image: "127.0.0.1:5000/app:\(i)", instances: 1}
                """
            }.joined(separator: "\n---\n")
            try await manager.apply(try ManifestLoader().parse(yaml, file: "apps.yaml"), options: .init())
        }
    }
}

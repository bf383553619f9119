import ArgumentParser
import Foundation
import RouterAgent
import RouterData
import ZKModel

/// The router's table at scale: what a change costs (the whole table rebuilt from the parsed
/// Routes and instance reports, as the router does on every change), the resident memory of the
/// process holding it, and the lookup time, at 10 routes and at `--routes` routes with
/// `--backends-per-route` healthy instances each.
struct BenchRouterScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router-scale",
        abstract: "The router's table swap, memory and lookup at 10 and 10,000 routes (50,000 backends)."
    )

    @Option(help: "Routes in the large table.") var routes = 10_000
    @Option(help: "Healthy instances behind each route.") var backendsPerRoute = 5
    @Option(help: "Builds timed per size (the median is printed).") var builds = 7

    func run() async throws {
        let baseline = residentBytes()
        for count in [10, routes] {
            // As the router holds them: each Route's version parsed and decoded once, when read.
            let routes = try (0..<count).map { try ParsedRoute(Self.route($0)) }
            let instances = (0..<count).flatMap { i in
                (0..<backendsPerRoute).map { j in
                    var status = InstanceStatus(
                        app: "app\(i)",
                        environment: "prod",
                        host: "10.\(j).\(i / 250).\(i % 250)",
                        port: 20_000 + j,
                        healthy: true
                    )
                    status.supervisor = "host-\(j)"
                    return status
                }
            }
            let clock = ContinuousClock()
            var times: [Duration] = []
            var snapshotTimes: [Duration] = []
            var table = RoutingTable(version: "empty", rules: [], pools: [])
            var snapshot: TableSnapshot?
            for n in 0..<builds {
                // The router's way: the table made straight from the reports.
                let start = clock.now
                table = TableBuilder.table(routes: routes, services: [], instances: instances, version: "v\(n)")
                times.append(clock.now - start)
                // The earlier way, for comparison: a snapshot (backends as `host:port` text), then its table.
                let snapshotStart = clock.now
                let built = TableBuilder.snapshot(
                    routes: routes,
                    services: [],
                    instances: instances,
                    version: "v\(n)"
                )
                withExtendedLifetime(built.table()) {}
                snapshotTimes.append(clock.now - snapshotStart)
            }
            // What is saved to disk is made from the table when it is saved, as the router does.
            snapshot = TableSnapshot(table)
            // What a router does when only instance reports changed: one pool replaced in place.
            var inPlace: [Duration] = []
            for n in 0..<builds {
                let pool = Pool(
                    name: "app/app\((n * 7919) % count)/prod",
                    backends: (0..<backendsPerRoute).map { Backend(host: "10.9.9.\($0)", port: 30_000 + n) }
                )
                let start = clock.now
                let replaced = table.replacingPools([pool], version: "p\(n)")
                inPlace.append(clock.now - start)
                withExtendedLifetime(replaced) {}
            }
            let file = NSTemporaryDirectory() + "atlantis-bench-table-\(getpid()).json"
            let saveStart = clock.now
            try snapshot?.save(to: file)
            let save = clock.now - saveStart
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            try? FileManager.default.removeItem(atPath: file)
            let backends = table.pools.values.reduce(0) { $0 + $1.backends.count }
            // The router's report (its znode): one digest per app pool, as the router writes it.
            // What the router writes of its pools: the digests in its report, or beyond
            // `RouterReport.inlinePools` in shard nodes (the largest one printed).
            let digests = Dictionary(
                (snapshot?.pools ?? []).map { ($0.name, RouterReport.digest(backends: $0.backends)) },
                uniquingKeysWith: { a, _ in a }
            )
            var largestReportNode = 0
            if digests.count <= RouterReport.inlinePools {
                largestReportNode = try Payload.encode(
                    RouterReport(address: "127.0.0.1:8080", tableVersion: snapshot?.version ?? "", pools: digests)
                ).count
            } else {
                var shards: [Int: [String: String]] = [:]
                for (pool, digest) in digests {
                    shards[RouterReport.shard(of: pool, count: RouterReport.shardCount), default: [:]][pool] = digest
                }
                for (n, pools) in shards {
                    let bytes = try Payload.encode(RouterPoolShard(router: "r", shard: n, pools: pools)).count
                    largestReportNode = max(largestReportNode, bytes)
                }
            }
            let lookup = Self.lookup(table, routes: count)
            print(
                String(
                    format:
                        "%6d routes, %6d backends: full build median %.2f ms (by way of a snapshot %.2f ms), max %.2f ms; one pool replaced in place median %.3f ms; "
                        + "saved to disk %.1f ms (%.1f MiB); largest report node %d bytes; process RSS %.1f MiB (+%.1f MiB); lookup %.0f ns",
                    count,
                    backends,
                    BenchRouteLatency.ms(times.sorted()[times.count / 2]),
                    BenchRouteLatency.ms(snapshotTimes.sorted()[snapshotTimes.count / 2]),
                    BenchRouteLatency.ms(times.max() ?? .zero),
                    BenchRouteLatency.ms(inPlace.sorted()[inPlace.count / 2]),
                    BenchRouteLatency.ms(save),
                    Double(size) / 1_048_576,
                    largestReportNode,
                    Double(residentBytes()) / 1_048_576,
                    Double(max(residentBytes() - baseline, 0)) / 1_048_576,
                    lookup
                )
            )
            withExtendedLifetime((routes, instances, table)) {}
        }
    }

    /// A valid Route document, as the router parses it from its znode.
    static func route(_ i: Int) throws -> Document {
        let json = """
            {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r\(i)"},\
            "spec":{"host":"app\(i).example.com","pool":{"app":"app\(i)","environment":"prod"}}}
            """
        return try DocumentValidator().validate(JSONValue.parse(json)).get()
    }

    /// Nanoseconds per lookup over hosts spread across the table.
    static func lookup(_ table: RoutingTable, routes: Int) -> Double {
        let hosts = (0..<1000).map { "app\(($0 * 7919) % routes).example.com" }
        let iterations = 200_000
        var found = 0
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<iterations
        where table.match(host: hosts[i % hosts.count][...], target: "/x"[...], header: { _ in nil }) != nil {
            found += 1
        }
        let elapsed = clock.now - start
        precondition(found == iterations, "bench: some lookups missed")
        return BenchRouteLatency.ms(elapsed) * 1_000_000 / Double(iterations)
    }
}

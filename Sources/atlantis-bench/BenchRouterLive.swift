import AgentOptions
import ArgumentParser
import AsyncHTTPClient
import CLIOptions
import Foundation
import NIOCore
import ZKModel
import ZooKeeper

/// A real router process at scale (bench/router-scale.sh starts it): `--routes` Routes and
/// `--backends-per-route` healthy instance reports each written to its tree, through five
/// registered supervisors (this process's session), then `--changes` single changes (one
/// instance's health flipped), each timed from ZooKeeper's commit of the status to its commit of
/// the router's report that reflects it; then `--route-changes` Route changes, each timed from
/// its commit to that of the router's report naming a table that includes it; the router's
/// resident memory from /proc. With `--hold`, the registrations stay until it is stopped.
struct BenchRouterLive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router-live",
        abstract: "A router process at 10,000 routes and 50,000 backends: one change → its report; RSS."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The router process's pid (for its memory).") var routerPid: Int32
    @Option(help: "The router's id (its report's name).") var routerID: String
    @Option(help: "The router's admin address (host:port): its table build times from /metrics.") var admin: String?
    @Option(help: "Routes written.") var routes = 10_000
    @Option(help: "Healthy instances behind each route.") var backendsPerRoute = 5
    @Option(help: "Single changes timed.") var changes = 20
    @Option(help: "Route changes timed (a path changed, a Route to a new pool added, then removed).")
    var routeChanges = 21
    @Flag(
        help:
            "Once the figures are printed, keep this process's session (the supervisors' registrations that confirm every report) until it is stopped: for measurements made after it."
    )
    var hold = false

    static let hosts = 5

    func run() async throws {
        let (routes, perRoute, changes, pid, routerID) = (
            self.routes, self.backendsPerRoute, self.changes, routerPid, self.routerID
        )
        try await cluster.withZooKeeper { zk, tree in
            let session = InstanceStatus.session(zk.sessionID)
            for folder in [tree.supervisors, tree.instanceStatus, tree.desired(.route)] {
                try await zk.ensurePath(folder)
            }
            for h in 0..<Self.hosts {
                try await zk.create(tree.supervisor("host-\(h)"), data: Array("{}".utf8), mode: .ephemeral)
            }
            let started = ContinuousClock.now
            var operations: [ZooKeeper.Operation] = []
            func flush(_ force: Bool = false) async throws {
                if operations.count >= 500 || (force && !operations.isEmpty) {
                    _ = try await zk.multi(operations)
                    operations.removeAll(keepingCapacity: true)
                }
            }
            for i in 0..<routes {
                operations.append(
                    .create(path: tree.desired(DocumentKey(kind: .route, name: "r\(i)")), data: Self.route(i))
                )
                for j in 0..<perRoute {
                    let status = Self.status(i, j, healthy: true, session: session)
                    operations.append(
                        .create(path: tree.instanceStatus("i\(i)-\(j)"), data: try Payload.encode(status))
                    )
                }
                try await flush()
            }
            try await flush(true)
            let written = (ContinuousClock.now - started) / .seconds(1)
            // The router has it all when its report names every pool.
            let report = tree.router(routerID)
            var served = ContinuousClock.now
            while true {
                if let (data, _) = try? await zk.getData(report),
                    let r = try? Payload.decode(RouterReport.self, from: data, path: report),
                    (r.poolCount ?? r.pools?.count ?? 0) >= routes
                {
                    served = ContinuousClock.now
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            // Then until it is quiet (every report loaded): its report unchanged for 3 s.
            var (last, quiet) = (Int64(-1), 0)
            while quiet < 6 {
                let mzxid = try await zk.exists(report)?.mzxid ?? 0
                quiet = mzxid == last ? quiet + 1 : 0
                last = mzxid
                try await Task.sleep(for: .milliseconds(500))
            }
            let settled = ContinuousClock.now - .seconds(3)
            let bytes = try await zk.exists(report)?.dataLength ?? 0
            var latencies: [Double] = []
            // Each change takes one healthy instance out (a different one each time), timed to the
            // node that carries its pool's digest: the report, or its shard node.
            for n in 0..<changes {
                let (i, j) = ((n * 7919) % routes, n % perRoute)
                let pool = RouterReport.poolName(app: "app\(i)", environment: "prod")
                let current = try Payload.decode(
                    RouterReport.self,
                    from: try await zk.getData(report).data,
                    path: report
                )
                let holder =
                    current.pools != nil
                    ? report
                    : tree.routerPools(routerID, shard: RouterReport.shard(of: pool, count: current.poolShards ?? 1))
                func digest(_ data: [UInt8]) throws -> String? {
                    holder == report
                        ? try Payload.decode(RouterReport.self, from: data, path: holder).pools?[pool]
                        : try Payload.decode(RouterPoolShard.self, from: data, path: holder).pools[pool]
                }
                let before = try digest(try await zk.getData(holder).data)
                let stat = try await zk.setData(
                    tree.instanceStatus("i\(i)-\(j)"),
                    data: try Payload.encode(Self.status(i, j, healthy: false, session: session))
                )
                while true {
                    let (data, holderStat, watch) = try await zk.getDataAndWatch(holder)
                    if try digest(data) != before {
                        latencies.append(Double(holderStat.mtime - stat.mtime))
                        break
                    }
                    _ = await watch.wait()
                }
            }
            // Route changes, timed on this process's clock from before the write to the router's
            // report naming a table that has it (a deletion raises no zxid: a new version does).
            var routeLatencies: [Double] = []
            let buildsBefore = try await builds()
            for n in 0..<self.routeChanges {
                let i = (n * 104_729) % routes
                let extra = tree.desired(DocumentKey(kind: .route, name: "extra-\(n / 3)"))
                let before = try Payload.decode(
                    RouterReport.self,
                    from: try await zk.getData(report).data,
                    path: report
                )
                .tableVersion
                let start = ContinuousClock.now
                var zxid: Int64 = 0
                switch n % 3 {
                case 0:
                    zxid = try await zk.setData(
                        tree.desired(DocumentKey(kind: .route, name: "r\(i)")),
                        data: Self.route(i, pathPrefix: "/v\(n)")
                    ).mzxid
                case 1:
                    try await zk.create(extra, data: Self.route(routes + n, name: "extra-\(n / 3)"))
                    zxid = try await zk.exists(extra)?.mzxid ?? 0
                default:
                    try await zk.delete(extra)
                }
                while true {
                    let (data, _, watch) = try await zk.getDataAndWatch(report)
                    let served = try Payload.decode(RouterReport.self, from: data, path: report).tableVersion
                    let seen = served.split(separator: "-").first.flatMap { Int64($0, radix: 16) } ?? 0
                    if served != before, seen >= zxid {
                        routeLatencies.append((ContinuousClock.now - start) / .milliseconds(1))
                        break
                    }
                    _ = await watch.wait()
                }
            }
            let buildsAfter = try await builds()
            var largestShard: Int32 = 0
            for name in (try? await zk.children(tree.routerPools)) ?? [] {
                largestShard = max(largestShard, try await zk.exists(tree.routerPools + "/" + name)?.dataLength ?? 0)
            }
            print(
                "each change → its report (ms, in order): " + latencies.map { String(Int($0)) }.joined(separator: " ")
            )
            print(
                "each Route change → the report (ms, in order; a path changed, a Route to a new pool added, removed): "
                    + routeLatencies.map { String(format: "%.1f", $0) }.joined(separator: " ")
            )
            print(
                String(
                    format: "one Route change → the router's report p50 %.1f ms, max %.1f ms (%d changes)",
                    BenchDashboard.percentile(routeLatencies, 0.5),
                    routeLatencies.max() ?? 0,
                    routeLatencies.count
                )
            )
            if let loading = buildsBefore?["full"], loading.count > 0 {
                print(
                    String(
                        format: "the router's table while it loaded: built whole %d times, mean %.1f ms",
                        loading.count,
                        loading.sum / Double(loading.count) * 1000
                    )
                )
            }
            if let before = buildsBefore, let after = buildsAfter {
                for kind in ["in_place", "full"] {
                    let (b, a) = (before[kind] ?? .init(), after[kind] ?? .init())
                    let count = a.count - b.count
                    guard count > 0 else {
                        print(
                            "the router's table during the Route changes: none \(kind == "full" ? "built whole" : "changed in place")"
                        )
                        continue
                    }
                    // The smallest bucket holding every one of them: an upper bound of the slowest.
                    let slowest = a.buckets.first { le, n in n - (b.buckets.first { $0.le == le }?.count ?? 0) >= count
                    }?.le
                    print(
                        String(
                            format:
                                "the router's table during the Route changes, %@: %d, mean %.3f ms, every one ≤ %@ ms",
                            kind == "full" ? "built whole" : "changed in place",
                            count,
                            (a.sum - b.sum) / Double(count) * 1000,
                            slowest.map { String(format: "%g", $0 * 1000) } ?? "?"
                        )
                    )
                }
            }
            print(
                String(
                    format:
                        "router at %d routes, %d backends: tree written in %.1f s, every route served after %.1f s more, every report after %.1f s; one change → its report p50 %.0f ms, p99 %.0f ms (%d changes); report znode %d bytes, largest pool shard %d bytes; router RSS %.1f MiB",
                    routes,
                    routes * perRoute,
                    written,
                    (served - started) / .seconds(1) - written,
                    (settled - started) / .seconds(1) - written,
                    BenchDashboard.percentile(latencies, 0.5),
                    BenchDashboard.percentile(latencies, 0.99),
                    latencies.count,
                    Int(bytes),
                    Int(largestShard),
                    Double(residentBytes(of: pid)) / 1_048_576
                )
            )
            guard hold else { return }
            // Without the registrations every report would be lost to the router (routed for its
            // grace, then not at all) and a router restarted on the tree would route none.
            print("holding the supervisors' registrations until stopped")
            fflush(nil)  // every stream: the script waits for this line
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }

    /// One kind of the router's table builds, from its `/metrics`: how many, their total
    /// seconds, and the histogram's cumulative buckets (upper bound in seconds, count).
    struct Builds {
        var count = 0
        var sum = 0.0
        var buckets: [(le: Double, count: Int)] = []
    }

    /// The router's table builds by kind (`full`, `in_place`), or nil without `--admin`.
    func builds() async throws -> [String: Builds]? {
        guard let admin else { return nil }
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://\(admin)/metrics"),
            timeout: .seconds(10)
        )
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        var out: [String: Builds] = [:]
        let metric = "atlantis_router_table_build_seconds"
        for line in text.split(separator: "\n") where line.hasPrefix(metric) {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[parts.count - 1]),
                let open = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}")
            else { continue }
            var labels: [String: String] = [:]
            for pair in line[line.index(after: open)..<close].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 {
                    labels[String(kv[0])] = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
            }
            guard let kind = labels["kind"] else { continue }
            let name = line[..<open]
            if name.hasSuffix("_count") {
                out[kind, default: .init()].count = Int(value)
            } else if name.hasSuffix("_sum") {
                out[kind, default: .init()].sum = value
            } else if name.hasSuffix("_bucket"), let le = labels["le"].flatMap(Double.init) {
                out[kind, default: .init()].buckets.append((le, Int(value)))
            }
        }
        return out
    }

    static func route(_ i: Int, name: String? = nil, pathPrefix: String = "/") -> [UInt8] {
        Array(
            """
            {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"\(name ?? "r\(i)")"},\
            "spec":{"host":"app\(i).example.com","pathPrefix":"\(pathPrefix)",\
            "pool":{"app":"app\(i)","environment":"prod"}}}
            """.utf8
        )
    }

    static func status(_ i: Int, _ j: Int, healthy: Bool, session: String) -> InstanceStatus {
        var status = InstanceStatus(
            app: "app\(i)",
            environment: "prod",
            host: "10.\(j).\(i / 250).\(i % 250)",
            port: 20_000 + j,
            healthy: healthy
        )
        status.state = healthy ? .running : .starting
        status.supervisor = "host-\(j % hosts)"
        status.session = session
        return status
    }
}

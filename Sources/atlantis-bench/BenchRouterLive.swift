import ArgumentParser
import CLIOptions
import Foundation
import ZKModel
import ZooKeeper

/// A real router process at scale (bench/router-scale.sh starts it): `--routes` Routes and
/// `--backends-per-route` healthy instance reports each written to its tree, through five
/// registered supervisors (this process's session), then `--changes` single changes (one
/// instance's health flipped), each timed from ZooKeeper's commit of the status to its commit of
/// the router's report that reflects it; the router's resident memory from /proc.
struct BenchRouterLive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router-live",
        abstract: "A router process at 10,000 routes and 50,000 backends: one change → its report; RSS."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The router process's pid (for its memory).") var routerPid: Int32
    @Option(help: "The router's id (its report's name).") var routerID: String
    @Option(help: "Routes written.") var routes = 10_000
    @Option(help: "Healthy instances behind each route.") var backendsPerRoute = 5
    @Option(help: "Single changes timed.") var changes = 20

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
            var largestShard: Int32 = 0
            for name in (try? await zk.children(tree.routerPools)) ?? [] {
                largestShard = max(largestShard, try await zk.exists(tree.routerPools + "/" + name)?.dataLength ?? 0)
            }
            print(
                "each change → its report (ms, in order): " + latencies.map { String(Int($0)) }.joined(separator: " ")
            )
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
        }
    }

    static func route(_ i: Int) -> [UInt8] {
        Array(
            """
            {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r\(i)"},\
            "spec":{"host":"app\(i).example.com","pool":{"app":"app\(i)","environment":"prod"}}}
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

import Foundation
import RouterData
import Synchronization
import TestSupport
import Testing
import ZKModel
import ZooKeeper

@testable import Reconciler
@testable import RouterAgent

/// Instance reports changed one by one are applied to the table in place; after each change the
/// table served is the one a full build makes of the same tree.
@Suite(.serialized) struct IncrementalTableTests {
    @Test func changesOfReportsAppliedInPlaceGiveTheTableAFullBuildGives() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let supervisor = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts)
        )
        let tree = try ZNodeTree(root: "/incremental-\(UUID().uuidString.prefix(8).lowercased())")
        for folder in [tree.supervisors, tree.instanceStatus, tree.desired(.route)] { try await zk.ensurePath(folder) }
        try await supervisor.create(tree.supervisor("h1"), data: Array(#"{"id":"h1"}"#.utf8), mode: .ephemeral)
        let session = InstanceStatus.session(supervisor.sessionID)
        for i in 0..<5 {
            let route = """
                {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r\(i)"},\
                "spec":{"host":"a\(i).test","pool":{"app":"a\(i)","environment":"prod"}}}
                """
            try await zk.create(tree.desired(DocumentKey(kind: .route, name: "r\(i)")), data: Array(route.utf8))
        }
        func write(_ id: Int, app: Int, port: Int, healthy: Bool, session owner: String? = nil) async throws {
            var status = InstanceStatus(
                app: "a\(app)",
                environment: "prod",
                host: "127.0.0.1",
                port: port,
                healthy: healthy
            )
            status.supervisor = "h1"
            status.session = owner ?? session
            try await zk.upsert(tree.instanceStatus("i\(id)"), data: try Payload.encode(status))
        }
        for id in 0..<10 { try await write(id, app: id % 5, port: 30_000 + id, healthy: id % 3 != 0) }

        let tables = TableSource()
        let agent = RouterAgent(zk: zk, tree: tree, tables: tables, id: "r1", address: "127.0.0.1:1", statePath: nil)
        let running = Task { try? await agent.run() }
        func served() -> [String: [String]] {
            tables.current.pools.mapValues { $0.backends.map { "\($0.host):\($0.port)" } }
        }
        func full() -> [String: [String]] {
            Dictionary(uniqueKeysWithValues: agent.buildSnapshot().pools.map { ($0.name, $0.backends) })
        }
        /// Waits until the served table shows the change just written (`shown`: what it serves
        /// once the router has seen it) and is what a full build makes now.
        func settled(showing shown: @escaping () -> Bool = { true }) async -> Bool {
            await eventually {
                guard shown() else { return false }
                let version = tables.current.version
                try await Task.sleep(for: .milliseconds(100))
                return version == tables.current.version && served() == full()
            }
        }
        // Every third one (0, 3, 6, 9) unhealthy.
        #expect(await eventually { served()["app/a1/prod"] == ["127.0.0.1:30001"] })

        try await write(3, app: 3, port: 30_003, healthy: true)  // healthy now
        #expect(await settled { served()["app/a3/prod"]?.contains("127.0.0.1:30003") == true })
        #expect(served()["app/a3/prod"] == ["127.0.0.1:30003", "127.0.0.1:30008"])
        try await zk.delete(tree.instanceStatus("i4"))  // gone
        #expect(await settled { served()["app/a4/prod"] == [] })
        #expect(served()["app/a4/prod"] == [])
        try await write(10, app: 1, port: 30_010, healthy: true)  // a new one
        try await write(0, app: 2, port: 30_100, healthy: true)  // moved to another app, healthy
        #expect(await settled { served()["app/a2/prod"]?.contains("127.0.0.1:30100") == true })
        #expect(served()["app/a1/prod"] == ["127.0.0.1:30001", "127.0.0.1:30010"])
        #expect(served()["app/a0/prod"] == ["127.0.0.1:30005"])
        #expect(served()["app/a2/prod"] == ["127.0.0.1:30002", "127.0.0.1:30007", "127.0.0.1:30100"])
        // Only reports changed: the table was changed in place, the base is still there.
        #expect(agent.base.withLock { $0 != nil })

        // A report from a session that does not hold the registration is not routed.
        try await write(11, app: 1, port: 30_011, healthy: true, session: "1")
        #expect(await settled())
        #expect(served()["app/a1/prod"]?.contains("127.0.0.1:30011") == false)

        // A Route changed: a full build, then in place again.
        try await zk.delete(tree.desired(DocumentKey(kind: .route, name: "r4")))
        #expect(await settled { served()["app/a4/prod"] == nil })
        #expect(served()["app/a4/prod"] == nil)
        try await write(8, app: 3, port: 30_008, healthy: false)
        #expect(await settled { served()["app/a3/prod"] == ["127.0.0.1:30003"] })
        #expect(served()["app/a3/prod"] == ["127.0.0.1:30003"])

        running.cancel()
        _ = await running.value
        await supervisor.close()
        await zk.close()
    }

    /// A fresh tree under `/<prefix>-<random>` with the folders a router reads, and supervisor
    /// `h1` registered by `zk`'s session.
    static func tree(_ prefix: String, registering zk: ZooKeeperClient) async throws -> ZNodeTree {
        let tree = try ZNodeTree(root: "/\(prefix)-\(UUID().uuidString.prefix(8).lowercased())")
        for folder in [tree.supervisors, tree.instanceStatus, tree.desired(.route)] { try await zk.ensurePath(folder) }
        try await zk.create(tree.supervisor("h1"), data: Array(#"{"id":"h1"}"#.utf8), mode: .ephemeral)
        return tree
    }

    /// Routes changed one by one (a host, a path, a pool's balancing set by its first route, a
    /// route added to a pool and to a Service, one to an internal app, routes removed, one that
    /// does not decode), a Service's endpoints and an App are applied in place, with reports
    /// changing between them: after each change the table served routes what a full build of the
    /// same tree routes, and no full build was made until an App became internal.
    @Test func changesOfRoutesAppliedInPlaceGiveTheTableAFullBuildGives() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let tree = try await Self.tree("incremental-routes", registering: zk)
        let service = """
            {"apiVersion":"atlantis/v1","kind":"Service","metadata":{"name":"svc"},\
            "spec":{"endpoints":[{"host":"127.0.0.1","port":9000},{"host":"127.0.0.1","port":9001}]}}
            """
        try await zk.upsert(tree.desired(DocumentKey(kind: .service, name: "svc")), data: Array(service.utf8))
        let app = """
            {"apiVersion":"atlantis/v1","kind":"App","metadata":{"name":"hidden"},\
            "spec":{"team":"t","port":8080,"internal":true}}
            """
        try await zk.upsert(tree.desired(DocumentKey(kind: .app, name: "hidden")), data: Array(app.utf8))
        func route(_ name: String, _ spec: String) async throws {
            let body = #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"\#(name)"},"spec":\#(spec)}"#
            try await zk.upsert(tree.desired(DocumentKey(kind: .route, name: name)), data: Array(body.utf8))
        }
        func report(_ id: Int, app: String, port: Int, healthy: Bool = true) async throws {
            var status = InstanceStatus(app: app, environment: "prod", host: "127.0.0.1", port: port, healthy: healthy)
            status.supervisor = "h1"
            status.session = InstanceStatus.session(zk.sessionID)
            try await zk.upsert(tree.instanceStatus("i\(id)"), data: try Payload.encode(status))
        }
        for i in 0..<3 {
            try await route("r\(i)", #"{"host":"a\#(i).test","pool":{"app":"a\#(i)","environment":"prod"}}"#)
            try await report(i, app: "a\(i)", port: 32_000 + i)
        }
        try await report(3, app: "hidden", port: 32_003)

        let tables = TableSource()
        let agent = RouterAgent(zk: zk, tree: tree, tables: tables, id: "r1", address: "127.0.0.1:1", statePath: nil)
        let running = Task { try? await agent.run() }
        /// Each rule, in the table's order, with its pool's balancing and backends; then each pool.
        func describe(_ table: RoutingTable) -> [String] {
            let backends = { (pool: Pool?) in pool.map { $0.backends.map { "\($0.host):\($0.port)" } } ?? [] }
            let pool = { (pool: Pool?) in "\(pool?.balancing.rawValue ?? "none") \(backends(pool))" }
            return table.routes.map {
                "\($0.rule.name) \($0.rule.host) \($0.rule.pathPrefix) -> \($0.rule.pool) \(pool($0.pool))"
            }
                + table.pools.sorted { $0.key < $1.key }.map { "pool \($0.key) \(pool($0.value))" }
                + ["rules \(table.ruleCount)"]
        }
        /// Waits until the served table is what a full build makes now.
        func settled() async -> Bool {
            await eventually {
                let version = tables.current.version
                try await Task.sleep(for: .milliseconds(100))
                return version == tables.current.version
                    && describe(tables.current) == describe(agent.buildSnapshot().table())
            }
        }
        #expect(await eventually { tables.current.pools["app/a2/prod"] != nil })
        #expect(await settled())
        let builds = agent.fullBuilds.load(ordering: .relaxed)

        try await route("r1", #"{"host":"b1.test","pathPrefix":"/v2","pool":{"app":"a1","environment":"prod"}}"#)
        #expect(await settled())
        #expect(tables.current.match(host: "b1.test", target: "/v2/x", header: { _ in nil })?.name == "r1")
        #expect(tables.current.match(host: "a1.test", target: "/", header: { _ in nil }) == nil)
        // A second route to a0's pool, first by name: its balancing is the pool's.
        try await route(
            "q0",
            #"{"host":"a0.test","pathPrefix":"/q","pool":{"app":"a0","environment":"prod"},"balancing":"leastConnections"}"#
        )
        try await report(4, app: "a0", port: 32_004)
        #expect(await settled())
        #expect(tables.current.pools["app/a0/prod"]?.balancing == .leastConnections)
        #expect(tables.current.pools["app/a0/prod"]?.backends.count == 2)
        try await route("s", #"{"host":"*.svc.test","pool":{"service":"svc"}}"#)
        try await route("h", #"{"host":"hidden.test","pool":{"app":"hidden","environment":"prod"}}"#)
        try await route("n", #"{"host":"new.test","pool":{"app":"a9","environment":"prod"}}"#)
        try await report(5, app: "a9", port: 32_005)
        #expect(await settled())
        #expect(tables.current.match(host: "x.svc.test", target: "/", header: { _ in nil })?.pool == "service/svc")
        #expect(tables.current.pools["service/svc"]?.backends.count == 2)
        #expect(tables.current.match(host: "hidden.test", target: "/", header: { _ in nil }) == nil)
        #expect(tables.current.pools["app/a9/prod"]?.backends.count == 1)
        // A Service's endpoints changed, an App changed but still internal: in place too.
        try await zk.setData(
            tree.desired(DocumentKey(kind: .service, name: "svc")),
            data: Array(
                service.replacingOccurrences(of: "9001}", with: "9001},{\"host\":\"127.0.0.2\",\"port\":9002}").utf8
            )
        )
        try await zk.setData(
            tree.desired(DocumentKey(kind: .app, name: "hidden")),
            data: Array(app.replacingOccurrences(of: "8080", with: "8081").utf8)
        )
        #expect(await settled())
        #expect(tables.current.pools["service/svc"]?.backends.count == 3)
        // A version that does not decode keeps the route's last valid one.
        try await route("n", #"{"host":5,"pool":{"app":"a9","environment":"prod"}}"#)
        try await report(6, app: "a9", port: 32_006)
        #expect(await settled())
        #expect(tables.current.pools["app/a9/prod"]?.backends.count == 2)
        try await zk.delete(tree.desired(DocumentKey(kind: .route, name: "q0")))
        try await zk.delete(tree.desired(DocumentKey(kind: .route, name: "s")))
        #expect(await settled())
        #expect(tables.current.pools["app/a0/prod"]?.balancing == .roundRobin)
        #expect(tables.current.pools["service/svc"] == nil)
        #expect(tables.current.ruleCount == 4)
        #expect(agent.fullBuilds.load(ordering: .relaxed) == builds)
        // An App that becomes internal takes its Routes out: a full build.
        let internalA1 = """
            {"apiVersion":"atlantis/v1","kind":"App","metadata":{"name":"a1"},\
            "spec":{"team":"t","port":8080,"internal":true}}
            """
        try await zk.upsert(tree.desired(DocumentKey(kind: .app, name: "a1")), data: Array(internalA1.utf8))
        #expect(await settled())
        #expect(tables.current.match(host: "b1.test", target: "/v2/x", header: { _ in nil }) == nil)
        #expect(agent.fullBuilds.load(ordering: .relaxed) > builds)

        running.cancel()
        _ = await running.value
        await zk.close()
    }

    /// A report created before another report changed, but read after that change was applied,
    /// and applied together with a deletion: the newest zxid and the count of nodes are what they
    /// were, so the new table's version reads as the served one's, and the new table is swapped
    /// in all the same (it was not: the served table missed the report until the next change).
    @Test func aTableWhoseVersionRepeatsIsSwappedInAllTheSame() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let tree = try await Self.tree("incremental-repeat", registering: zk)
        let route = """
            {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r1"},\
            "spec":{"host":"a1.test","pool":{"app":"a1","environment":"prod"}}}
            """
        try await zk.create(tree.desired(DocumentKey(kind: .route, name: "r1")), data: Array(route.utf8))
        func report(_ id: Int, port: Int) async throws {
            var status = InstanceStatus(app: "a1", environment: "prod", host: "127.0.0.1", port: port, healthy: true)
            status.supervisor = "h1"
            status.session = InstanceStatus.session(zk.sessionID)
            try await zk.upsert(tree.instanceStatus("i\(id)"), data: try Payload.encode(status))
        }
        try await report(1, port: 31_001)
        try await report(2, port: 31_002)

        // i3's first read is held once it returned, until let go.
        let held = Flag()
        let letGo = Flag()
        let tables = TableSource()
        let agent = RouterAgent(
            zk: zk,
            tree: tree,
            tables: tables,
            id: "r1",
            address: "127.0.0.1:1",
            statePath: nil,
            afterReportRead: { key, _ in
                guard key == "i3", !held.raise() else { return }
                while !letGo.isRaised { try? await Task.sleep(for: .milliseconds(10)) }
            }
        )
        func served() -> [String]? { tables.current.pools["app/a1/prod"]?.backends.map { "\($0.host):\($0.port)" } }
        func port(_ key: String) -> Int? {
            agent.instances.snapshot(key).flatMap { InstanceReports.report($0.data)?.port }
        }
        let caches = [agent.routes, agent.services, agent.instances, agent.supervisors, agent.apps]
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The caches run without the agent's controller: the test says when a table is made.
            for cache in caches { group.addTask { await cache.run() } }
            for cache in caches { try await cache.waitUntilSynced() }
            _ = try await agent.reconcile(key: "table")
            #expect(served() == ["127.0.0.1:31001", "127.0.0.1:31002"])

            // i3 created (its read held), then i1 changed: applied without i3.
            try await report(3, port: 31_003)
            #expect(await eventually { held.isRaised })
            try await report(1, port: 31_011)
            #expect(await eventually { port("i1") == 31_011 })
            _ = try await agent.reconcile(key: "table")
            #expect(served() == ["127.0.0.1:31002", "127.0.0.1:31011"])
            let version = tables.current.version

            // i2 deleted, i3's read let go: both applied at once.
            try await zk.delete(tree.instanceStatus("i2"))
            #expect(await eventually { !agent.instances.allKeys().contains("i2") })
            _ = letGo.raise()
            #expect(await eventually { port("i3") == 31_003 })
            _ = try await agent.reconcile(key: "table")
            #expect(tables.current.version == version)  // the case this test is about
            #expect(served() == ["127.0.0.1:31003", "127.0.0.1:31011"])
            // Reports and Routes held packed, their versions in their bytes (`PackedVersions`).
            #expect(agent.instances.packedCount == 2 && agent.routes.packedCount == 1)
            group.cancelAll()
        }
        await zk.close()
    }

    /// Beyond `inlinePools`, the pools' digests are in shard nodes, each read back as the report
    /// says, and kept current by a change.
    @Test func manyPoolsDigestsGoToShardNodesTheReportPointsTo() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let tree = try ZNodeTree(root: "/shards-\(UUID().uuidString.prefix(8).lowercased())")
        for folder in [tree.supervisors, tree.instanceStatus, tree.desired(.route)] { try await zk.ensurePath(folder) }
        try await zk.create(tree.supervisor("h1"), data: Array(#"{"id":"h1"}"#.utf8), mode: .ephemeral)
        let session = InstanceStatus.session(zk.sessionID)
        func write(_ i: Int, healthy: Bool) async throws {
            var status = InstanceStatus(
                app: "a\(i)",
                environment: "prod",
                host: "127.0.0.1",
                port: 31_000 + i,
                healthy: healthy
            )
            status.supervisor = "h1"
            status.session = session
            try await zk.upsert(tree.instanceStatus("i\(i)"), data: try Payload.encode(status))
        }
        for i in 0..<6 {
            let route = """
                {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r\(i)"},\
                "spec":{"host":"a\(i).test","pool":{"app":"a\(i)","environment":"prod"}}}
                """
            try await zk.create(tree.desired(DocumentKey(kind: .route, name: "r\(i)")), data: Array(route.utf8))
            try await write(i, healthy: true)
        }
        let agent = RouterAgent(
            zk: zk,
            tree: tree,
            tables: TableSource(),
            id: "r1",
            address: "127.0.0.1:1",
            statePath: nil,
            inlinePools: 2
        )
        let running = Task { try? await agent.run() }
        func digest(_ i: Int) async throws -> String? {
            let data = try await zk.getData(tree.router("r1")).data
            let report = try Payload.decode(RouterReport.self, from: data, path: "report")
            #expect(report.pools == nil && report.poolShards == RouterReport.shardCount && report.poolCount == 6)
            return try await report.digest(of: "app/a\(i)/prod", router: "r1", tree: tree) { path in
                try? await zk.getData(path).data
            }
        }
        let expected = { (i: Int) in RouterReport.digest(backends: ["127.0.0.1:\(31_000 + i)"]) }
        #expect(await eventually { try await (0..<6).asyncAllSatisfy { try await digest($0) == expected($0) } })
        #expect(try await digest(9) == nil)  // no route leads there
        try await write(4, healthy: false)
        #expect(await eventually { try await digest(4) == RouterReport.digest(backends: []) })
        #expect(try await digest(3) == expected(3))
        running.cancel()
        _ = await running.value
        await zk.close()
    }
}

/// A flag raised once, read from any task.
final class Flag: Sendable {
    private let raised = Atomic<Bool>(false)

    var isRaised: Bool { raised.load(ordering: .acquiring) }

    /// Raises it; returns whether it was raised already.
    func raise() -> Bool { raised.exchange(true, ordering: .acquiringAndReleasing) }
}

extension Sequence {
    func asyncAllSatisfy(_ predicate: (Element) async throws -> Bool) async rethrows -> Bool {
        for element in self where try await !predicate(element) { return false }
        return true
    }
}

import Foundation
import Manager
import NIOCore
import NIOPosix
import RouterAgent
import RouterData
import RouterProxy
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// A router (proxy + agent) fed by a real ZooKeeper, with Python backends, and curl as the client.
final class RouterRig: @unchecked Sendable {
    static let repoRoot = URL(fileURLWithPath: Repository.root)
    var processes: [Int32] = []
    var port = 0
    var listener: (any Channel)?
    var agentTask: Task<Void, Never>?
    let tables = TableSource()

    /// A team's App `web` with a Deploy in `prod`, and a Route from `web.test` to its instances.
    static let webApp = """
        apiVersion: atlantis/v1
        kind: Team
        metadata: {name: t}
        spec: {members: [ann]}
        ---
        apiVersion: atlantis/v1
        kind: App
        metadata: {name: web}
        spec: {team: t, port: 8080}
        ---
        apiVersion: atlantis/v1
        kind: Deploy
        metadata: {name: web-prod}
        spec: {app: web, environment: prod, image: "web:1", instances: 2}
        ---
        apiVersion: atlantis/v1
        kind: Route
        metadata: {name: web}
        spec: {host: web.test, pool: {app: web, environment: prod}}
        """

    /// A Service `svc` with one endpoint on `port`, and a Route from `svc.test` to it.
    static func serviceAndRoute(port: Int) -> String {
        """
        apiVersion: atlantis/v1
        kind: Service
        metadata: {name: svc}
        spec: {endpoints: [{host: 127.0.0.1, port: \(port)}]}
        ---
        apiVersion: atlantis/v1
        kind: Route
        metadata: {name: svc}
        spec: {host: svc.test, pool: {service: svc}}
        """
    }

    func backend(_ name: String) throws -> Int {
        let (pid, port) = try Loopback.startBackend(name, repoRoot: Self.repoRoot.path)
        processes.append(pid)
        return port
    }

    func startProxy() async throws {
        let proxy = ProxyServer(tables: tables)
        listener = try await proxy.bind(host: "127.0.0.1", port: 0)
        port = listener!.localAddress!.port!
    }

    func startAgent(zk: ZooKeeperClient, tree: ZNodeTree, statePath: String, lostGrace: Duration = .seconds(2)) {
        let agent = RouterAgent(
            zk: zk,
            tree: tree,
            tables: tables,
            id: "r1",
            address: "127.0.0.1:\(port)",
            statePath: statePath,
            lostGrace: lostGrace
        )
        agentTask = Task { try? await agent.run() }
    }

    func get(_ url: String, host: String?) throws -> (Int, String) {
        let (status, body) = Loopback.curl(url, host: host, extra: ["--max-time", "10"])
        return (status, String(decoding: body, as: UTF8.self))
    }

    func get(_ path: String, host: String) throws -> (Int, String) {
        try get("http://127.0.0.1:\(port)\(path)", host: Optional(host))
    }

    /// Stops the router (agent and proxy), leaving the backends running.
    func stopRouter() async {
        agentTask?.cancel()
        try? await listener?.close().get()
    }

    func stop() async {
        await stopRouter()
        for pid in processes { Spawn.kill(pid) }
    }
}

@Suite("Router fed by ZooKeeper", .serialized)
struct RouterAgentTests {
    static func zkScript(_ args: String...) throws {
        Spawn.run(["/bin/bash", RouterRig.repoRoot.appendingPathComponent("scripts/zk.sh").path] + args)
    }

    static func yaml(_ text: String) throws -> [LoadedDocument] {
        try ManifestLoader().parse(text, file: "test.yaml")
    }

    @Test func routesFollowDocumentsAndOnlyHealthyInstancesGetTraffic() async throws {
        let rig = RouterRig()
        let svc = try rig.backend("svc")
        let i1 = try rig.backend("i1")
        let i2 = try rig.backend("i2")
        try await rig.startProxy()
        let zk = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts)
        )
        let tree = try ZNodeTree(root: "/routertest-\(UUID().uuidString.prefix(8).lowercased())")
        let manager = Manager(store: ClusterStore(zk: zk, tree: tree))
        try await manager.apply(
            try Self.yaml(RouterRig.webApp + "\n---\n" + RouterRig.serviceAndRoute(port: svc)),
            options: .init()
        )
        let statePath = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UUID().uuidString).json")
            .path
        rig.startAgent(zk: zk, tree: tree, statePath: statePath)

        #expect(await eventually { try rig.get("/a", host: "svc.test") == (200, "svc /a\n") })
        #expect(try rig.get("/a", host: "web.test").0 == 503)  // no instance reported yet

        // A supervisor (its own session, registered) reports two instances; only the healthy one
        // gets traffic.
        var supervisor = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts)
        )
        func register(_ zk: ZooKeeperClient) async throws {
            try await zk.ensurePath(tree.supervisors)
            try await zk.create(
                tree.supervisor("h1"),
                data: Array(#"{"id":"h1"}"#.utf8),
                mode: .ephemeral
            )
        }
        func report(_ id: String, _ port: Int, healthy: Bool, from zk: ZooKeeperClient) async throws {
            let session = InstanceStatus.session(zk.sessionID)
            let body =
                #"{"apiVersion":"atlantis/v1","kind":"InstanceStatus","app":"web","environment":"prod","host":"127.0.0.1","port":\#(port),"healthy":\#(healthy),"supervisor":"h1","session":"\#(session)"}"#
            try await zk.upsert("\(tree.instanceStatus)/\(id)", data: Array(body.utf8))
        }
        try await register(supervisor)
        try await report("web-1", i1, healthy: true, from: supervisor)
        try await report("web-2", i2, healthy: false, from: supervisor)
        #expect(await eventually { try rig.get("/x", host: "web.test").1 == "i1 /x\n" })
        for _ in 0..<6 { #expect(try rig.get("/x", host: "web.test").1 == "i1 /x\n") }
        try await report("web-2", i2, healthy: true, from: supervisor)
        #expect(
            await eventually {
                Set((0..<6).compactMap { _ in try? rig.get("/x", host: "web.test").1 }) == ["i1 /x\n", "i2 /x\n"]
            }
        )

        // The supervisor's process ends: its reports stay in ZooKeeper; what this router saw
        // confirmed is still routed for its grace (2 s here: a frozen supervisor's containers
        // still answer), then no longer.
        await supervisor.close()
        let closed = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(500))
        #expect(try rig.get("/x", host: "web.test").0 == 200, "routed within the grace")
        #expect(await eventually { try rig.get("/x", host: "web.test").0 == 503 })
        #expect(ContinuousClock.now - closed >= .seconds(2), "dropped before the grace ended")
        // Its next process registers: the old reports still do not count until it confirms them.
        supervisor = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        try await register(supervisor)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try rig.get("/x", host: "web.test").0 == 503, "a report of the previous session was routed")
        try await report("web-1", i1, healthy: true, from: supervisor)
        #expect(await eventually { try rig.get("/x", host: "web.test").1 == "i1 /x\n" })

        // A route change moves traffic; the router reports the table version it serves.
        try await manager.apply(
            try Self.yaml(
                """
                apiVersion: atlantis/v1
                kind: Route
                metadata: {name: svc}
                spec: {host: svc.test, pathPrefix: /only, pool: {service: svc}}
                """
            ),
            options: .init()
        )
        #expect(await eventually { try rig.get("/a", host: "svc.test").0 == 404 })
        #expect(try rig.get("/only/a", host: "svc.test").1 == "svc /only/a\n")
        let reported = String(decoding: try await zk.getData("\(tree.routers)/r1").data, as: UTF8.self)
        #expect(reported.contains(#""tableVersion":"\#(rig.tables.current.version)""#))
        // Saved at most once a second: the last table is on disk within a second.
        #expect(await eventually { TableSnapshot.load(from: statePath)?.version == rig.tables.current.version })
        await rig.stop()
        await supervisor.close()
        await zk.close()
    }

    @Test func zooKeeperDownTheRouterKeepsServingAndARestartedRouterServesFromDisk() async throws {
        let port = 2194
        try Self.zkScript("standalone", "routerzk", "\(port)")
        defer { try? Self.zkScript("stop", "routerzk") }
        let rig = RouterRig()
        let svc = try rig.backend("svc")
        try await rig.startProxy()
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: "127.0.0.1:\(port)"))
        let tree = try ZNodeTree(root: "/routertest")
        try await Manager(store: ClusterStore(zk: zk, tree: tree)).apply(
            try Self.yaml(RouterRig.serviceAndRoute(port: svc)),
            options: .init()
        )
        let statePath = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UUID().uuidString).json")
            .path
        rig.startAgent(zk: zk, tree: tree, statePath: statePath)
        #expect(await eventually { try rig.get("/a", host: "svc.test").0 == 200 })

        try Self.zkScript("kill", "routerzk")
        for i in 0..<20 { #expect(try rig.get("/down\(i)", host: "svc.test") == (200, "svc /down\(i)\n")) }
        await rig.stopRouter()
        await zk.close()

        // A new router process while ZooKeeper is still down: the table comes from disk.
        let saved = try #require(TableSnapshot.load(from: statePath))
        #expect(saved.rules.map(\.name) == ["svc"])
        let restarted = RouterRig()
        restarted.tables.replace(with: saved.table())
        try await restarted.startProxy()
        #expect(try restarted.get("/b", host: "svc.test") == (200, "svc /b\n"))
        await restarted.stop()
        await rig.stop()
    }

    /// §0 of the fault suite: an invalid Route written straight to ZooKeeper (behind the manager's
    /// back) must not take the route out: the router keeps its last valid version, says so in its
    /// report and in a warning, and takes the next valid version again.
    @Test func aDocumentWrittenBehindTheManagersBackKeepsItsLastValidVersionAndIsReported() async throws {
        let rig = RouterRig()
        let svc = try rig.backend("svc")
        try await rig.startProxy()
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let tree = try ZNodeTree(root: "/routertest-\(UUID().uuidString.prefix(8).lowercased())")
        let manager = Manager(store: ClusterStore(zk: zk, tree: tree))
        try await manager.apply(try Self.yaml(RouterRig.serviceAndRoute(port: svc)), options: .init())
        let statePath = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UUID().uuidString).json")
            .path
        rig.startAgent(zk: zk, tree: tree, statePath: statePath)
        #expect(await eventually { try rig.get("/a", host: "svc.test") == (200, "svc /a\n") })
        func report() async throws -> RouterReport {
            try JSONDecoder().decode(RouterReport.self, from: Data(try await zk.getData("\(tree.routers)/r1").data))
        }

        // An unknown field and a host that is not one, written with a plain setData.
        let path = "\(tree.desired(.route))/svc"
        try await zk.setData(
            path,
            data: Array(
                #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"svc"},"spec":{"host":"not a host","pool":{"service":"svc"},"weight":3}}"#
                    .utf8
            )
        )
        #expect(await eventually { (try? await report().unreadable?["routes/svc"]) != nil })
        let problem = try #require(try await report().unreadable?["routes/svc"])
        #expect(problem.contains("spec"), "the report names what is wrong: \(problem)")
        for i in 0..<10 { #expect(try rig.get("/kept\(i)", host: "svc.test") == (200, "svc /kept\(i)\n")) }

        // Repaired by hand (the manager refuses to plan over a node it cannot read, naming it):
        // the valid version is served as written, nothing reported.
        try await zk.setData(
            path,
            data: Array(
                #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"svc"},"spec":{"host":"svc.test","pathPrefix":"/only","pool":{"service":"svc"}}}"#
                    .utf8
            )
        )
        #expect(await eventually { try rig.get("/a", host: "svc.test").0 == 404 })
        #expect(try rig.get("/only/a", host: "svc.test").1 == "svc /only/a\n")
        #expect(await eventually { (try? await report().unreadable) == nil })
        await rig.stop()
        await zk.close()
    }
}

import Foundation
import Logging
import Manager
import RouterAgent
import RouterProxy
import ServiceLifecycle
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// The whole router as `atlantis router` runs it (`RouterService`: proxy, admin and ZooKeeper
/// feed), in this process.
@Suite("RouterService", .serialized)
struct RouterServiceTests {
    /// A table saved by an earlier run, ZooKeeper unreachable: the service serves the saved
    /// routes, /health says where the table came from, and a graceful shutdown ends it.
    @Test func withZooKeeperUnreachableItServesTheTableFromDiskAndStopsGracefully() async throws {
        let rig = RouterRig()
        defer { for pid in rig.processes { Spawn.kill(pid) } }
        let svc = try rig.backend("svc")
        let documents = try ManifestLoader().parse(
            RouterRig.serviceAndRoute(port: svc),
            file: "test.yaml"
        ).map { try DocumentValidator().validate($0.value).get() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let saved = TableBuilder.snapshot(
            routes: documents.filter { $0.kind == .route },
            services: documents.filter { $0.kind == .service },
            instances: [],
            version: "saved-1"
        )
        try saved.save(to: directory.appendingPathComponent("table.json").path)

        let (port, admin) = (Loopback.freePort(), Loopback.freePort())
        let service = RouterService(
            configuration: .init(
                id: "r-test",
                listen: ("127.0.0.1", port),
                admin: ("127.0.0.1", admin),
                stateDirectory: directory.path,
                proxy: ProxyConfiguration(),
                threads: 1,
                scheduling: .normal,
                zooKeeper: ZooKeeperConfiguration(connectionString: "127.0.0.1:1", connectTimeout: .milliseconds(200)),
                tree: try ZNodeTree(root: "/routerservicetest")
            ),
            metrics: { "metrics_text 1\n" }
        )
        let group = ServiceGroup(services: [service], logger: .init(label: "test"))
        let running = Task { try await group.run() }

        #expect(
            await eventually {
                try rig.get("http://127.0.0.1:\(port)/a", host: Optional("svc.test")) == (200, "svc /a\n")
            }
        )
        let (status, health) = try rig.get("http://127.0.0.1:\(admin)/health", host: nil)
        #expect(status == 200)
        #expect(health.contains(#""status":"degraded""#), "\(health)")
        #expect(health.contains(#""tableFrom":"disk""#), "\(health)")
        #expect(health.contains(#""tableVersion":"saved-1""#), "\(health)")
        #expect(try rig.get("http://127.0.0.1:\(admin)/metrics", host: nil) == (200, "metrics_text 1\n"))

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try rig.get("http://127.0.0.1:\(port)/b", host: Optional("svc.test")).0 == 0, "the listener is closed")
    }

    /// The same saved table, ZooKeeper up (with no routes under this root): the saved table is
    /// not served, not even for a moment, because it may name instances long gone.
    @Test func withZooKeeperUpTheTableOnDiskIsNotServed() async throws {
        let rig = RouterRig()
        defer { for pid in rig.processes { Spawn.kill(pid) } }
        let svc = try rig.backend("svc")
        let documents = try ManifestLoader().parse(RouterRig.serviceAndRoute(port: svc), file: "test.yaml")
            .map { try DocumentValidator().validate($0.value).get() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try TableBuilder.snapshot(
            routes: documents.filter { $0.kind == .route },
            services: documents.filter { $0.kind == .service },
            instances: [],
            version: "saved-1"
        ).save(to: directory.appendingPathComponent("table.json").path)

        let (port, admin) = (Loopback.freePort(), Loopback.freePort())
        let service = RouterService(
            configuration: .init(
                id: "r-test-\(UUID().uuidString.prefix(6))",
                listen: ("127.0.0.1", port),
                admin: ("127.0.0.1", admin),
                stateDirectory: directory.path,
                proxy: ProxyConfiguration(),
                threads: 1,
                scheduling: .normal,
                zooKeeper: ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts),
                tree: try ZNodeTree(root: "/routerservicetest-\(UUID().uuidString.prefix(6).lowercased())")
            ),
            metrics: { "" }
        )
        let group = ServiceGroup(services: [service], logger: .init(label: "test"))
        let running = Task { try await group.run() }
        var answers: [Int] = []
        #expect(
            await eventually {
                answers.append(try rig.get("http://127.0.0.1:\(port)/a", host: Optional("svc.test")).0)
                let health = try rig.get("http://127.0.0.1:\(admin)/health", host: nil).1
                return health.contains(#""tableFrom":"zookeeper""#) && !health.contains("saved-1")
            }
        )
        #expect(try rig.get("http://127.0.0.1:\(port)/a", host: Optional("svc.test")).0 == 404)
        #expect(!answers.contains(200), "the saved route was served: \(answers)")
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

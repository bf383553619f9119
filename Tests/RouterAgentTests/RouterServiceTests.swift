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
    /// A state directory holding a saved table (version `saved-1`) that routes svc.test to the
    /// rig's backend `svc`, and a RouterService on free ports using it with `zooKeeper`.
    static func serviceWithSavedTable(
        _ rig: RouterRig,
        zooKeeper: ZooKeeperConfiguration,
        root: String,
        configure: (inout RouterService.Configuration) -> Void = { _ in }
    ) throws -> (service: RouterService, directory: URL, port: Int, admin: Int) {
        let svc = try rig.backend("svc")
        let documents = try ManifestLoader().parse(RouterRig.serviceAndRoute(port: svc), file: "test.yaml")
            .map { try DocumentValidator().validate($0.value).get() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try TableBuilder.snapshot(
            routes: documents.filter { $0.kind == .route },
            services: documents.filter { $0.kind == .service },
            instances: [],
            version: "saved-1"
        ).save(to: directory.appendingPathComponent("table.json").path)
        let (port, admin) = (Loopback.freePort(), Loopback.freePort())
        var configuration = RouterService.Configuration(
            id: "r-test-\(UUID().uuidString.prefix(6))",
            listen: ("127.0.0.1", port),
            admin: ("127.0.0.1", admin),
            stateDirectory: directory.path,
            proxy: ProxyConfiguration(),
            threads: 1,
            scheduling: .normal,
            zooKeeper: zooKeeper,
            tree: try ZNodeTree(root: root)
        )
        // In this process the "control threads" are the test runner's: they keep their policy
        // (SCHED_BATCH would follow them into every later test's threads).
        configuration.controlScheduling = .normal
        configure(&configuration)
        let service = RouterService(configuration: configuration, metrics: { "metrics_text 1\n" })
        return (service, directory, port, admin)
    }

    /// The event-loop threads of this process that may run on one CPU only (pinned).
    static func pinnedLoopThreads() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                name.hasPrefix("NIO-ELT") || name.hasPrefix("epoll-loop-"),
                let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8)
            else { return false }
            return LoopPinning.allowedCPUs(status: status)?.count == 1
        }.count
    }

    /// This process's threads named `prefix…` (`/proc/self/task/*/comm`).
    static func threads(named prefix: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.hasPrefix(prefix) ?? false
        }.count
    }

    /// A table saved by an earlier run, ZooKeeper unreachable: the service serves the saved
    /// routes, /health says where the table came from, and a graceful shutdown ends it. With
    /// `--pin-loops` its three event loops each run on one allowed CPU (on a machine with more
    /// than one); with `--engine epoll` they are three epoll loops, gone after the shutdown.
    @Test(arguments: [(false, ProxyEngine.nio), (true, .nio), (false, .epoll), (true, .epoll)])
    func withZooKeeperUnreachableItServesTheTableFromDiskAndStopsGracefully(
        pinLoops: Bool,
        engine: ProxyEngine
    ) async throws {
        let epollBefore = Self.threads(named: "epoll-loop-")
        let rig = RouterRig()
        defer { for pid in rig.processes { Spawn.kill(pid) } }
        let pinnedBefore = Self.pinnedLoopThreads()
        let (service, directory, port, admin) = try Self.serviceWithSavedTable(
            rig,
            zooKeeper: ZooKeeperConfiguration(connectionString: "127.0.0.1:1", connectTimeout: .milliseconds(200)),
            root: "/routerservicetest"
        ) {
            $0.threads = 3
            $0.pinLoops = pinLoops
            $0.engine = engine
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let group = ServiceGroup(services: [service], logger: .init(label: "test"))
        let running = Task { try await group.run() }

        #expect(
            await eventually {
                try rig.get("http://127.0.0.1:\(port)/a", host: Optional("svc.test")) == (200, "svc /a\n")
            }
        )
        let cpus = LoopPinning.allowedCPUs(status: try String(contentsOfFile: "/proc/self/status", encoding: .utf8))
        if let cpus, cpus.count > 1 {
            #expect(Self.pinnedLoopThreads() - pinnedBefore == (pinLoops ? 3 : 0))
        }
        let (status, health) = try rig.get("http://127.0.0.1:\(admin)/health", host: nil)
        #expect(status == 200)
        #expect(health.contains(#""status":"degraded""#), "\(health)")
        #expect(health.contains(#""tableFrom":"disk""#), "\(health)")
        #expect(health.contains(#""tableVersion":"saved-1""#), "\(health)")
        #expect(try rig.get("http://127.0.0.1:\(admin)/metrics", host: nil) == (200, "metrics_text 1\n"))
        #expect(Self.threads(named: "epoll-loop-") - epollBefore == (engine == .epoll ? 3 : 0))

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(await eventually { Self.threads(named: "epoll-loop-") == epollBefore }, "the loops' threads end")
        #expect(try rig.get("http://127.0.0.1:\(port)/b", host: Optional("svc.test")).0 == 0, "the listener is closed")
    }

    /// The same saved table, ZooKeeper up (with no routes under this root): the saved table is
    /// not served, not even for a moment, because it may name instances long gone.
    @Test func withZooKeeperUpTheTableOnDiskIsNotServed() async throws {
        let rig = RouterRig()
        defer { for pid in rig.processes { Spawn.kill(pid) } }
        let (service, directory, port, admin) = try Self.serviceWithSavedTable(
            rig,
            zooKeeper: ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts),
            root: "/routerservicetest-\(UUID().uuidString.prefix(6).lowercased())"
        )
        defer { try? FileManager.default.removeItem(at: directory) }
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

import Agents
import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import RouterData
import RouterProxy
import ServiceLifecycle
import Synchronization
import UnixSignals
import ZKModel
import ZooKeeper

struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router",
        abstract: "Run an HTTP router fed by the Routes, Services and instance reports in ZooKeeper.",
        discussion: """
            Serves the last good table from --state-dir while ZooKeeper is unreachable (also right after \
            a restart). GET /health and /metrics (Prometheus) on --admin.
            """)

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Where to serve HTTP, host:port.")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "Where to serve /health and /metrics, host:port.")
    var admin: String = "127.0.0.1:8081"

    @Option(help: "This router's name in <root>/agents/routers (default: router-<listen port>).")
    var id: String?

    @Option(help: "Folder for the last good table (default: run/router-<id>).")
    var stateDir: String?

    @OptionGroup var proxy: ProxyOptions

    func run() async throws {
        cluster.bootstrapLogging()
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A proxied request takes well under a millisecond: the default buckets start at 5 ms.
        factory.durationHistogramBuckets["atlantis_router_request_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "atlantis.router")
        let (listenHost, listenPort) = try Self.split(listen, "--listen")
        let (adminHost, adminPort) = try Self.split(admin, "--admin")
        let id = self.id ?? "router-\(listenPort)"
        let stateDir = self.stateDir ?? "run/\(id)"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let statePath = "\(stateDir)/table.json"

        let state = RouterState()
        let tables = TableSource()
        if let saved = TableSnapshot.load(from: statePath) {
            tables.replace(with: saved.table())
            state.set(source: "disk")
            logger.info("router.table_from_disk", metadata: ["table.version": "\(saved.version)"])
        }
        // Its own threads (not NIO's shared singleton), so their scheduling policy is the proxy's alone.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: proxy.threadCount)
        do {
            try await proxy.loopScheduling.apply(to: loops)
        } catch {
            logger.warning("router.scheduling_unchanged", metadata: ["error": "\(error)"])
        }
        let server = ProxyServer(tables: tables, configuration: proxy.configuration, group: loops, logger: logger)
        let listener = try await server.bind(host: listenHost, port: listenPort)
        let adminChannel = try await AdminServer.bind(host: adminHost, port: adminPort) { path in
            switch path {
            case "/health":
                let table = tables.current
                return .init(contentType: "application/json", body: state.health(table: table) + "\n")
            case "/metrics":
                return .init(contentType: "text/plain; version=0.0.4", body: registry.emitToString())
            default:
                return .init(status: 404, body: "try /health or /metrics\n")
            }
        }
        print("router \(id): serving HTTP on \(listen), admin on \(admin)")

        let tree = try ZNodeTree(root: cluster.root)
        let credentials = (cluster.zkAuth ?? ProcessInfo.processInfo.environment["ATLANTIS_ZK_AUTH"]).map {
            [ZooKeeperConfiguration.Credential(secret: $0)]
        } ?? []
        let hosts = cluster.hosts
        let service = RouterService(
            listener: listener, admin: adminChannel,
            feed: {
                // Keep trying ZooKeeper; serve whatever table we have meanwhile.
                while !Task.isCancelled {
                    do {
                        let zk = try await ZooKeeperClient.connect(
                            ZooKeeperConfiguration(connectionString: hosts, credentials: credentials))
                        let watcher = Task {
                            for await event in zk.sessionEvents() {
                                if case .connected = event { state.set(zookeeper: true) } else { state.set(zookeeper: false) }
                            }
                        }
                        state.set(zookeeper: true)
                        state.set(source: "zookeeper")
                        let agent = RouterAgent(
                            zk: zk, tree: tree, tables: tables, id: id, address: listen, statePath: statePath)
                        try? await agent.run()  // until the service group stops it
                        watcher.cancel()
                        await zk.close()
                    } catch {
                        state.set(zookeeper: false)
                        logger.warning("router.zookeeper_unreachable", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func split(_ value: String, _ option: String) throws -> (String, Int) {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]) else {
            throw ValidationError("\(option) must be host:port, not \(value)")
        }
        return (String(value[..<colon]), port)
    }
}

/// What /health reports.
final class RouterState: Sendable {
    private let state = Mutex<(zookeeper: Bool, source: String)>((false, "none"))

    func set(zookeeper: Bool) { state.withLock { $0.zookeeper = zookeeper } }
    func set(source: String) { state.withLock { $0.source = source } }

    func health(table: RoutingTable) -> String {
        let (zk, source) = state.withLock { ($0.zookeeper, $0.source) }
        let status = zk ? "ok" : "degraded"
        return #"{"status":"\#(status)","zookeeper":"\#(zk ? "connected" : "unreachable")","tableFrom":"\#(source)","tableVersion":"\#(table.version)","routes":\#(table.ruleCount)}"#
    }
}

/// The router's lifetime: runs the ZooKeeper feed until a graceful shutdown, then closes the listeners.
struct RouterService: Service {
    let listener: any Channel
    let admin: any Channel
    let feed: @Sendable () async -> Void

    func run() async throws {
        let feedTask = Task { await feed() }
        try? await gracefulShutdown()
        feedTask.cancel()
        try? await listener.close().get()
        try? await admin.close().get()
    }
}

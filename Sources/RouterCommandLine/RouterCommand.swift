import AgentOptions
public import ArgumentParser
import Logging
import Metrics
import Prometheus
import RouterAgent
import RouterProxy
import ServiceLifecycle

/// `atlantis router` and `atlantis-router`: one router process.
public struct RouterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "router",
        abstract: "Run an HTTP router fed by the Routes, Services and instance reports in ZooKeeper.",
        discussion: """
            Serves the last good table from --state-dir while ZooKeeper is unreachable (also right after \
            a restart). GET /health and /metrics (Prometheus) on --admin.
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Where to serve HTTP, host:port.")
    var listen = HostPort(host: "127.0.0.1", port: 8080)

    @Option(help: "Where to serve /health and /metrics, host:port.")
    var admin = HostPort(host: "127.0.0.1", port: 8081)

    @Option(help: "This router's name in <root>/agents/routers (default: router-<listen port>).")
    var id: String?

    @Option(help: "The availability zone this router serves (reported in its registration).")
    var zone: String?

    @Option(
        help:
            "Also serve app-to-app calls here (<app>.<env>.internal, only to the containers that declare them in dependsOnApps): an address the containers reach, e.g. the Docker bridge's gateway 172.17.0.1:8180."
    )
    var internalListen: HostPort?

    @Option(help: "Folder for the last good table (default: run/router-<id>).")
    var stateDir: String?

    @Option(
        help:
            "Seconds instances stay routed once the supervisor session that confirmed them is gone (a frozen or cut-off supervisor's containers still answer); reports never seen confirmed are never routed."
    )
    var lostGrace: Int = 20

    @Option(
        help: ArgumentHelp(
            "The nice value of the router's threads other than its event loops (reading changes, building tables, reporting): they wait for busy loops instead of preempting them (0: unchanged).",
            valueName: "0-19"
        )
    )
    var controlNice: Int = 5

    /// Batch by default: under 10 Route changes a second, p99 per round against steady 0.92 and
    /// 1.16 through the manager, 1.04 and 0.95 written straight (two runs), against 1.29 and 1.45,
    /// 1.32 and 1.12 with the normal policy (bench/RESULTS.md, stop 50).
    @Option(
        help:
            "Scheduling of the same threads: batch (SCHED_BATCH, the default: a woken one waits for a busy loop's slice instead of preempting it) or normal.",
        transform: optionChoice("--control-scheduling", "batch or normal")
    )
    var controlScheduling: LoopScheduling = .batch

    @Option(
        help: ArgumentHelp(
            "How many allocator arenas the router's threads share (default: one per core; what one table build frees, the next reuses: at 50,000 instance reports 7 MiB less than glibc's default); 0: glibc's default, an arena per thread up to eight per core.",
            valueName: "n"
        )
    )
    public var mallocArenas: Int = RouterService.arenaLimit

    @OptionGroup var proxy: ProxyOptions

    public init() {}

    public func validate() throws {
        guard (0...19).contains(controlNice) else {
            throw ValidationError("--control-nice must be a nice value from 0 (unchanged) to 19, not \(controlNice)")
        }
        guard mallocArenas >= 0 else {
            throw ValidationError("--malloc-arenas must be 0 (glibc's default) or more, not \(mallocArenas)")
        }
        guard lostGrace >= 0 else {
            throw ValidationError("--lost-grace must be a number of seconds, 0 or more, not \(lostGrace)")
        }
    }

    public func run() async throws {
        cluster.bootstrapLogging()
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A proxied request takes well under a millisecond: the default buckets start at 5 ms.
        factory.durationHistogramBuckets["atlantis_router_request_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        // Changing the table in place takes well under a millisecond; a full build, tens of them.
        factory.durationHistogramBuckets["atlantis_router_table_build_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1),
        ]
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "atlantis.router")
        let id = self.id ?? "router-\(listen.port)"
        var configuration = RouterService.Configuration(
            id: id,
            listen: (listen.host, listen.port),
            admin: (admin.host, admin.port),
            stateDirectory: stateDir ?? "run/\(id)",
            proxy: proxy.configuration,
            threads: proxy.threadCount,
            scheduling: proxy.scheduling,
            zooKeeper: try cluster.zooKeeperConfiguration(),
            tree: try cluster.tree,
            zone: zone
        )
        configuration.internalListen = internalListen.map { ($0.host, $0.port) }
        configuration.lostGrace = .seconds(Int64(lostGrace))
        configuration.controlNice = Int32(controlNice)
        configuration.controlScheduling = controlScheduling
        configuration.mallocArenas = mallocArenas
        configuration.pinLoops = proxy.pinLoops
        configuration.engine = proxy.engine
        let service = RouterService(
            configuration: configuration,
            metrics: { registry.emitToString() },
            logger: logger
        )
        try await ServiceGroup.process([service], shutdownLimit: .seconds(30), logger: logger).run()
    }
}

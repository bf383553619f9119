public import Logging
public import NIOCore
public import NIOPosix
public import RouterData

/// The HTTP/1.1 reverse proxy: listens, and routes every request by the current table.
public final class ProxyServer: Sendable {
    public let tables: TableSource
    public let ejections = Ejections()
    let configuration: ProxyConfiguration
    let group: any EventLoopGroup
    let pools: PerLoop<BackendConnectionPool>
    let counts: PerLoop<LoopCounts>
    let metrics: ProxyMetrics
    private let flushes: [RepeatedTask]
    let logger: Logger

    public init(
        tables: TableSource,
        configuration: ProxyConfiguration = ProxyConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "atlantis.router")
    ) {
        self.tables = tables
        self.configuration = configuration
        self.group = group
        self.pools = PerLoop(group: group) { BackendConnectionPool(eventLoop: $0, configuration: configuration) }
        let metrics = ProxyMetrics()
        self.metrics = metrics
        let counts = PerLoop(group: group) { _ in LoopCounts(metrics: metrics) }
        self.counts = counts
        self.flushes = group.makeIterator().map { counts.value(for: $0)!.start(on: $0) }
        self.logger = logger
    }

    deinit {
        for task in flushes { task.cancel() }
    }

    /// Binds the listener; the returned channel's `closeFuture` completes when it stops. On an
    /// `EpollLoopGroup` every loop accepts on it; on NIO's group, NIO's server channel does.
    public func bind(host: String, port: Int) async throws -> any Channel {
        // ProxyHandler reads and writes HTTP/1.1 itself (no codec handlers) and keeps its own
        // idle deadline (no handler touched per read and write for it).
        let initialize: @Sendable (any Channel) throws -> Void = {
            [tables, pools, counts, metrics, ejections, configuration, logger] channel in
            try channel.pipeline.syncOperations.addHandler(
                ProxyHandler(
                    tables: tables,
                    pools: pools,
                    counts: counts,
                    ejections: ejections,
                    configuration: configuration,
                    metrics: metrics,
                    logger: logger
                )
            )
        }
        if let loops = group as? EpollLoopGroup {
            return try await EpollServerChannel.bind(host: host, port: port, group: loops, initialize: initialize)
        }
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try initialize(channel) } }
            .bind(host: host, port: port)
            .get()
    }
}

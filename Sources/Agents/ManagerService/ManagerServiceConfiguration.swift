/// How the manager's HTTP service listens and what it accepts.
public struct ManagerServiceConfiguration: Sendable {
    public var host: String
    /// 0: any free port (the one taken is reported by `onListening`).
    public var port: Int
    /// Request bodies above this are refused with 413 before they are read.
    public var maxBodyBytes: Int
    /// Every request is answered within this (an event stream is not a request that ends).
    public var requestDeadline: Duration
    /// A connection that sends nothing for this long is closed (slow clients hold no worker:
    /// the server is event-driven, and this reclaims their sockets).
    public var idleTimeout: Duration
    /// JSON and YAML bodies may nest at most this deep.
    public var maxNesting: Int
    /// The registry uploaded sources are kept in (as blobs); nil: this manager takes no uploads.
    public var registry: String?
    /// An uploaded source (a tar) above this is refused with 413.
    public var maxSourceBytes: Int = 64 << 20
    /// Whether this manager records builds' outcomes and turns moved refs into builds.
    public var recordsBuilds = true
    /// The ZooKeeper connection string, as the dashboard shows it.
    public var zookeeperHosts = ""
    /// The dashboard's view (a copy of the folders its pages show) is dropped once no dashboard
    /// request came for this long and no page stream is open; the next request reads it again.
    public var dashboardIdle: Duration = .seconds(600)
    /// The region this manager serves (`--region`): claimed in `<root>/region` before serving,
    /// and said by `/healthz` so that a multi-region client never writes to the wrong one.
    public var region: String?
    /// Prometheus text of this process's metrics, for `GET /metrics`.
    public var metrics: @Sendable () -> String

    public init(
        host: String = "127.0.0.1",
        port: Int = 8090,
        maxBodyBytes: Int = 1024 * 1024,
        requestDeadline: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(30),
        maxNesting: Int = 64,
        metrics: @escaping @Sendable () -> String = { "" }
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.requestDeadline = requestDeadline
        self.idleTimeout = idleTimeout
        self.maxNesting = maxNesting
        self.metrics = metrics
    }
}

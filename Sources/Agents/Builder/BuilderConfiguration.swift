public import Docker

/// How one builder runs.
public struct BuilderConfiguration: Sendable {
    /// This builder's id (its host), recorded in each build's provenance.
    public var builderID: String
    /// The registry images are pushed to and sources are read from (`host:port`).
    public var registry: String
    /// Builds at once (of different apps: one app's builds run one at a time).
    public var workers: Int
    /// Where logs and git caches are kept.
    public var store: String
    /// The most a source may unpack to.
    public var sourceLimits: TarReader.Limits
    public var logLimits: BuildLogStore.Limits
    /// How long a push is retried while the registry is down before the build fails.
    public var pushDeadline: Duration
    /// The longest a build may take.
    public var buildTimeout: Duration
    /// `http://host:port` where this builder's log endpoint answers (registered for the manager).
    public var logURL: String

    public init(
        builderID: String,
        registry: String,
        workers: Int = 2,
        store: String,
        sourceLimits: TarReader.Limits = TarReader.Limits(),
        logLimits: BuildLogStore.Limits = BuildLogStore.Limits(),
        pushDeadline: Duration = .seconds(600),
        buildTimeout: Duration = .seconds(1800),
        logURL: String = ""
    ) {
        self.builderID = builderID
        self.registry = registry
        self.workers = workers
        self.store = store
        self.sourceLimits = sourceLimits
        self.logLimits = logLimits
        self.pushDeadline = pushDeadline
        self.buildTimeout = buildTimeout
        self.logURL = logURL
    }

    /// The repository an app's images are pushed to.
    public func repository(app: String) -> String { "apps/\(app)" }
}

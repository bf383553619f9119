/// A build's outcome, in `<root>/status/builds/<id>`: written by the builder that holds the
/// build's lease.
public struct BuildStatus: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "BuildStatus"
    public var app: String
    public var phase: BuildPhase
    /// 1 for the first run; one more each time a builder takes it up again (a builder died).
    public var attempt: Int
    /// `registry/name@sha256:…` once pushed.
    public var image: String?
    public var provenance: BuildProvenance?
    /// Whether the image was already built from the same inputs (nothing rebuilt).
    public var reused: Bool?
    /// What went wrong, or what is being retried.
    public var message: String?
    /// The last 4 KB of the log, on failure.
    public var logTail: String?
    /// The port and health check the build config declares (the App's own win).
    public var port: Int?
    public var healthCheck: AppSpec.HealthCheck?
    /// The builder host working on it.
    public var builder: String?
    /// ISO 8601.
    public var updatedAt: String

    public init(app: String, phase: BuildPhase, attempt: Int, builder: String?, updatedAt: String) {
        self.app = app
        self.phase = phase
        self.attempt = attempt
        self.builder = builder
        self.updatedAt = updatedAt
    }

    /// The most a status keeps of a failed build's log.
    public static let logTailBytes = 4096
}

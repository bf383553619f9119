/// One running instance as its supervisor reports it, in `<root>/status/instances/<id>`:
/// where it answers and whether its health check passes. Routers send traffic only to healthy ones.
public struct InstanceStatus: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "InstanceStatus"
    public var app: String
    public var environment: String
    public var host: String
    public var port: Int
    public var healthy: Bool
    public var state: InstanceState?
    public var containerID: String?
    public var restarts: Int?
    public var lastError: String?
    /// The supervisor (host id) running it, and that host's zone.
    public var supervisor: String?
    public var zone: String?
    public var release: String?
    /// The assignment's znode version this status was written for.
    public var generation: Int?
    /// Kept warm for a rollback: healthy, but routers leave it out.
    public var standby: Bool?

    /// Whether routers send it traffic.
    public var serving: Bool { healthy && standby != true }

    public init(app: String, environment: String, host: String, port: Int, healthy: Bool) {
        self.app = app
        self.environment = environment
        self.host = host
        self.port = port
        self.healthy = healthy
    }
}

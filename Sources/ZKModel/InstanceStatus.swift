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
    /// The ZooKeeper session (hex) of the supervisor process that wrote it: the fence that ties
    /// a report to the registration that is live now.
    public var session: String?
    /// The container's own address on its host's network (what an internal router sees as the caller).
    public var containerAddress: String?
    /// The app pools it may call through internal routers (`app/<app>/<environment>`).
    public var reaches: [String]?

    /// Whether routers send it traffic (if `isCurrent`).
    public var serving: Bool { Self.serving(healthy: healthy, standby: standby) }

    /// `serving` for a report with these fields: healthy, and not a standby.
    public static func serving(healthy: Bool, standby: Bool?) -> Bool { healthy && standby != true }

    /// Whether it was written by the session that holds its supervisor's registration now
    /// (`owner`: that registration's ephemeral owner, nil when the supervisor is not registered).
    /// A report left by an earlier process of the host, or by a host that is gone, is not.
    public func isCurrent(registrationOwner owner: Int64?) -> Bool {
        Self.isCurrent(session: session, registrationOwner: owner)
    }

    /// `isCurrent` for a report written by `session`.
    public static func isCurrent(session: String?, registrationOwner owner: Int64?) -> Bool {
        guard let owner, owner != 0, let session else { return false }
        return session == Self.session(owner)
    }

    /// How a session id is written in `session`.
    public static func session(_ id: Int64) -> String { String(UInt64(bitPattern: id), radix: 16) }

    public init(app: String, environment: String, host: String, port: Int, healthy: Bool) {
        self.app = app
        self.environment = environment
        self.host = host
        self.port = port
        self.healthy = healthy
    }
}

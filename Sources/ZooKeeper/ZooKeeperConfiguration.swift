/// How to reach ZooKeeper and who to be there.
public struct ZooKeeperConfiguration: Sendable {
    /// A credential added to every session (ZooKeeper's `addAuth`), e.g. `digest` / `manager:secret`.
    public struct Credential: Hashable, Sendable {
        public var scheme: String
        public var secret: String
        public init(scheme: String = "digest", secret: String) {
            self.scheme = scheme
            self.secret = secret
        }
    }

    /// `host:port[,host:port...][/chroot]`.
    public var connectionString: String
    public var sessionTimeout: Duration
    /// How long `connect` waits for the first session before failing as unreachable.
    public var connectTimeout: Duration
    /// How long one request may wait for its answer.
    public var operationTimeout: Duration
    public var credentials: [Credential]
    /// How long the C client goes without resolving the connection string's host names again in
    /// normal operation (it still does on a connection loss). Its default resolves them at every
    /// look at its socket: a `getaddrinfo` (a netlink dump of the host's addresses) per request.
    public var hostResolutionDelay: Duration = .seconds(30)
    /// The ACL of nodes created without an explicit one.
    public var defaultACL: [ACL]
    /// When set, the ACL of every node this client creates, decided by its path (it overrides
    /// an ACL passed to `create`): one function for the whole cluster, so that no code path
    /// creates a node more open than the table says.
    public var aclPolicy: (@Sendable (String) -> [ACL])?

    public init(
        connectionString: String,
        sessionTimeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(15),
        credentials: [Credential] = [],
        defaultACL: [ACL] = ACL.openUnsafe,
        aclPolicy: (@Sendable (String) -> [ACL])? = nil
    ) {
        self.aclPolicy = aclPolicy
        self.connectionString = connectionString
        self.sessionTimeout = sessionTimeout
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.credentials = credentials
        self.defaultACL = defaultACL
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}

public struct RouteSpec: Codable, Hashable, Sendable {
    public struct Header: Codable, Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Either an app's environment (its healthy instances) or a Service's endpoints.
    public struct Pool: Codable, Hashable, Sendable {
        public var app: String?
        public var environment: String?
        public var service: String?

        public init(app: String? = nil, environment: String? = nil, service: String? = nil) {
            self.app = app
            self.environment = environment
            self.service = service
        }
    }

    /// Exact (`shop.example.com`) or wildcard (`*.example.com`).
    public var host: String
    public var pathPrefix: String?
    public var headers: [Header]?
    public var priority: Int?
    public var pool: Pool
    /// `roundRobin` (default) or `leastConnections`.
    public var balancing: String?

    public init(
        host: String,
        pathPrefix: String? = nil,
        headers: [Header]? = nil,
        priority: Int? = nil,
        pool: Pool,
        balancing: String? = nil
    ) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.headers = headers
        self.priority = priority
        self.pool = pool
        self.balancing = balancing
    }
}

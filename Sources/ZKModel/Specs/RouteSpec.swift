public struct RouteSpec: Codable, Hashable, Sendable {
    public struct Header: Codable, Hashable, Sendable {
        public var name: String
        public var value: String
    }

    /// Either an app's environment (its healthy instances) or a Service's endpoints.
    public struct Pool: Codable, Hashable, Sendable {
        public var app: String?
        public var environment: String?
        public var service: String?
    }

    /// Exact (`shop.example.com`) or wildcard (`*.example.com`).
    public var host: String
    public var pathPrefix: String?
    public var headers: [Header]?
    public var priority: Int?
    public var pool: Pool
    /// `roundRobin` (default) or `leastConnections`.
    public var balancing: String?
}

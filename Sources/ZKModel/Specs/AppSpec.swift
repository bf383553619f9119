public struct AppSpec: Codable, Hashable, Sendable {
    public struct HealthCheck: Codable, Hashable, Sendable {
        public var path: String
        public var intervalSeconds: Int?
        public var timeoutSeconds: Int?

        public init(path: String, intervalSeconds: Int? = nil, timeoutSeconds: Int? = nil) {
            self.path = path
            self.intervalSeconds = intervalSeconds
            self.timeoutSeconds = timeoutSeconds
        }
    }

    public var team: String
    public var port: Int
    public var healthCheck: HealthCheck?
    public var env: [String: String]?
    /// Names of the Services this app may reach.
    public var dependsOn: [String]?
}

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
    /// Other apps' environments this app calls, through the internal router of its own zone.
    public var dependsOnApps: [AppDependency]?
    /// Served only by internal routers (to the apps that depend on it), never by an external one.
    public var `internal`: Bool?
}

/// One app's environment another app calls: reached at `http://<app>.<environment>.internal:<port>`
/// through the internal router of the caller's zone, and nothing else of it.
public struct AppDependency: Codable, Hashable, Sendable {
    public var app: String
    public var environment: String

    public init(app: String, environment: String) {
        self.app = app
        self.environment = environment
    }

    /// The router pool it is (`app/<app>/<environment>`).
    public var pool: String { RouterReport.poolName(app: app, environment: environment) }
    /// The name the caller's container resolves to its zone's internal router.
    public var hostName: String { "\(app).\(environment).internal" }
    /// The environment variable that gives the caller its URL: `ATLANTIS_APP_<APP>_<ENV>_URL`.
    public var variable: String {
        let mangle = { (s: String) in s.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }
        return "ATLANTIS_APP_\(mangle(app))_\(mangle(environment))_URL"
    }
}

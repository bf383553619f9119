public struct DeploySpec: Codable, Hashable, Sendable {
    public struct Build: Codable, Hashable, Sendable {
        public var ref: String
        public var template: String?
    }

    public struct Zones: Codable, Hashable, Sendable {
        public var policy: String?
        /// Restricts the deploy to these zones; absent means every zone.
        public var only: [String]?
    }

    public var app: String
    public var environment: String
    public var image: String?
    public var build: Build?
    public var instances: Int
    /// Cores per instance.
    public var cpu: Double?
    public var memoryMB: Int?
    public var zones: Zones?
}

/// `<root>/placements/<deploy>`: the scheduler's record of a Deploy's instances — where each runs
/// and which release — and of its rollout. The scheduler writes it together with the instances'
/// assignments, in one transaction, so the two never disagree.
public struct Placement: Codable, Hashable, Sendable {
    public struct Instance: Codable, Hashable, Sendable {
        public var id: String
        public var host: String
        public var zone: String
        public var release: Int
        /// Running and health-checked but not routed: a replaced release kept warm for a rollback.
        public var standby: Bool?
        /// Since when (unix seconds).
        public var standbySince: Double?

        public init(id: String, host: String, zone: String, release: Int) {
            self.id = id
            self.host = host
            self.zone = zone
            self.release = release
        }

        public var isStandby: Bool { standby == true }
    }

    public var apiVersion: String = Document.apiVersion
    public var kind: String = "Placement"
    public var deploy: String
    public var instances: [Instance]
    /// The release being rolled out (or settled on), and since when (unix seconds).
    public var target: Int?
    public var targetSince: Double?
    /// The last release that was fully rolled out: where an automatic rollback returns.
    public var stable: Int?
    /// Releases that did not become healthy in time: not tried again until a newer one comes.
    public var failed: [Int]

    public init(deploy: String) {
        self.deploy = deploy
        self.instances = []
        self.failed = []
    }
}

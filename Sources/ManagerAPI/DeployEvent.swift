import ZKModel

/// One Server-Sent Event of `GET /v1/deploys/{name}/events`. Its `id` is the ZooKeeper
/// transaction id of the newest change it reflects, so a client that reconnects with
/// `Last-Event-ID` is sent every release made since and the rollout as it stands now.
public struct DeployEvent: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        /// A release of the Deploy was made (or replayed after `Last-Event-ID`).
        case release
        /// Healthy counts per zone and what the routers serve changed.
        case progress
        /// Every instance runs the release, healthy, and every router serves exactly them.
        case done
        /// The release did not become healthy in time and the previous one is routed again.
        case rolledBack
        /// The Deploy was deleted.
        case deleted
    }

    public var id: Int64
    public var kind: Kind
    public var deploy: String
    /// The release this event is about (the current one for progress).
    public var release: Int?
    public var image: String?
    public var cause: String?
    /// The rollout in one line, as `atlantis rollout status` prints it.
    public var line: String?
    public var healthy: Int?
    public var desired: Int?
    /// Healthy instances per zone.
    public var zones: [String: Int]?
    /// Whether every router serves the healthy instances of this release.
    public var routed: Bool?

    public init(id: Int64, kind: Kind, deploy: String) {
        self.id = id
        self.kind = kind
        self.deploy = deploy
    }
}

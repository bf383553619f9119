/// `<root>/agents/router-pools/<router>-<n>` (ephemeral): the digests of the app pools of one
/// shard (`RouterReport.shard(of:count:)`) of a router with more pools than its report holds.
public struct RouterPoolShard: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "RouterPoolShard"
    public var router: String
    public var shard: Int
    /// Pool (`app/<app>/<environment>`) → digest of its backends (`RouterReport.digest`).
    public var pools: [String: String]

    public init(router: String, shard: Int, pools: [String: String]) {
        self.router = router
        self.shard = shard
        self.pools = pools
    }
}

/// `<root>/agents/routers/<id>` (ephemeral): what one router serves. For every app pool
/// (`app/<app>/<environment>`), a digest of the backends it routes to, so a deploy can wait until
/// every router sends traffic to exactly the new instances: in `pools` while a router has at most
/// `inlinePools` of them; beyond, in `poolShards` nodes `agents/router-pools/<id>-<n>`
/// (`RouterPoolShard`, pool → shard by `shard(of:count:)`), so that no node grows with the pools
/// and a change rewrites one small node.
public struct RouterReport: Codable, Hashable, Sendable {
    public var address: String
    public var tableVersion: String
    public var pools: [String: String]?
    /// How many shard nodes hold the pools' digests (nil or 0: `pools` holds them).
    public var poolShards: Int?
    /// How many app pools it routes.
    public var poolCount: Int?
    /// The availability zone the router serves (routers are split among zones, as supervisors are).
    public var zone: String?
    /// Where its internal listener serves (`host:port`): app-to-app calls of its zone's containers.
    public var `internal`: String?
    /// Watched documents whose newest version it cannot read (`<kind>/<name>` → why; written
    /// behind the manager's back): it keeps serving their last valid version, or nothing for one
    /// that never had one.
    public var unreadable: [String: String]?

    public init(
        address: String,
        tableVersion: String,
        pools: [String: String]?,
        zone: String? = nil,
        internal: String? = nil,
        unreadable: [String: String]? = nil
    ) {
        self.internal = `internal`
        self.unreadable = unreadable
        self.address = address
        self.tableVersion = tableVersion
        self.pools = pools
        self.zone = zone
    }

    /// `app/<app>/<environment>`. Appended, not interpolated: a name of 15 bytes or fewer is then
    /// held inline (an interpolated string reserves more and lands on the heap).
    public static func poolName(app: String, environment: String) -> String {
        var name = "app/"
        name += app
        name += "/"
        name += environment
        return name
    }

    /// Up to this many pools' digests are written in the report itself.
    public static let inlinePools = 512
    /// Shard nodes beyond that: at 10,000 pools about 6 KB each.
    public static let shardCount = 64

    /// The shard that holds `pool`'s digest (FNV-1a of its name).
    public static func shard(of pool: String, count: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in pool.utf8 {
            h ^= UInt64(byte)
            h &*= 0x100_0000_01b3
        }
        return Int(h % UInt64(max(count, 1)))
    }

    /// The digest the router reports for `pool`, reading its shard node when the report does not
    /// hold it (`read` gets a path, returns its data or nil); nil when it does not route the pool.
    public func digest(
        of pool: String,
        router id: String,
        tree: ZNodeTree,
        read: (String) async throws -> [UInt8]?
    ) async throws -> String? {
        if let pools { return pools[pool] }
        guard let shards = poolShards, shards > 0 else { return nil }
        let path = tree.routerPools(id, shard: Self.shard(of: pool, count: shards))
        guard let data = try await read(path) else { return nil }
        return try Payload.decode(RouterPoolShard.self, from: data, path: path).pools[pool]
    }

    /// FNV-1a of the sorted `host:port` list, as written (`digestText` of `digestValue`).
    public static func digest(backends: [String]) -> String {
        digestText(digestValue(backends: backends))
    }

    /// FNV-1a of the sorted `host:port` list: what a router keeps of each pool between reports
    /// (a number, not its 16-character text on the heap).
    public static func digestValue(backends: [String]) -> UInt64 {
        var digest = Digest()
        for address in backends.sorted() { digest.add(address) }
        return digest.value
    }

    /// `digestValue` fed one address at a time, in sorted order, each as its host and port: a
    /// router digests its pools' backends without making their `host:port` strings.
    public struct Digest: Sendable {
        public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
        private var first = true

        public init() {}

        /// The next address, as `host:port` text.
        public mutating func add(_ address: String) {
            separate()
            for byte in address.utf8 { add(byte) }
        }

        /// The next address, as its host and port.
        public mutating func add(host: String, port: Int) {
            separate()
            for byte in AddressText(host: host, port: port) { add(byte) }
        }

        private mutating func separate() {
            if !first { add(UInt8(ascii: ",")) }
            first = false
        }

        private mutating func add(_ byte: UInt8) {
            value ^= UInt64(byte)
            value &*= 0x100_0000_01b3
        }
    }

    /// A digest as reports and shards carry it: lower-case hexadecimal.
    public static func digestText(_ value: UInt64) -> String { String(value, radix: 16) }
}

/// `<root>/agents/routers/<id>` (ephemeral): what one router serves. `pools` holds, for every
/// app pool (`app/<app>/<environment>`), a digest of the backends it routes to, so a deploy can
/// wait until every router sends traffic to exactly the new instances.
public struct RouterReport: Codable, Hashable, Sendable {
    public var address: String
    public var tableVersion: String
    public var pools: [String: String]?
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

    public static func poolName(app: String, environment: String) -> String { "app/\(app)/\(environment)" }

    /// FNV-1a of the sorted `host:port` list.
    public static func digest(backends: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in backends.sorted().joined(separator: ",").utf8 {
            h ^= UInt64(byte)
            h &*= 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}

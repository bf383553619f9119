import Foundation
public import RouterData

/// What a routing table is built from, as JSON: kept on disk so that a router restarted while
/// ZooKeeper is down still serves the last good table.
public struct TableSnapshot: Codable, Hashable, Sendable {
    public struct Rule: Codable, Hashable, Sendable {
        public var name: String
        public var host: String
        public var pathPrefix: String
        public var headers: [[String]]
        public var priority: Int
        public var pool: String
        /// Internal routers: the client addresses it serves (nil: every client).
        public var sources: [String]?
    }

    public struct PoolEntry: Codable, Hashable, Sendable {
        public var name: String
        public var balancing: String
        public var backends: [String]
    }

    public var version: String
    public var rules: [Rule]
    public var pools: [PoolEntry]

    public func table() -> RoutingTable {
        RoutingTable(
            version: version,
            rules: rules.map(Self.rule),
            pools: pools.map(Self.pool)
        )
    }

    /// The routing table's rule for an entry.
    static func rule(_ r: Rule) -> RouteRule {
        RouteRule(
            name: r.name,
            host: .init(r.host),
            pathPrefix: r.pathPrefix,
            headers: r.headers.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil },
            priority: r.priority,
            pool: r.pool,
            sources: r.sources.map(Set.init)
        )
    }

    /// The routing table's pool for an entry (`host:port` backends; others are left out).
    static func pool(_ p: PoolEntry) -> Pool {
        Pool(
            name: p.name,
            backends: p.backends.compactMap { entry in
                guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...])
                else { return nil }
                return Backend(host: String(entry[..<colon]), port: port)
            },
            balancing: Pool.Balancing(rawValue: p.balancing) ?? .roundRobin
        )
    }

    public static func load(from path: String) -> TableSnapshot? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(TableSnapshot.self, from: data)
    }
}

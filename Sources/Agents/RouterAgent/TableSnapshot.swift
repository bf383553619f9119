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

    /// The routing table's pool for an entry (`host:port` backends; others are left out). The
    /// backends are allocated at their count: grown by appending, 5 took room for 8 (0.7 MB more
    /// at 50,000 backends).
    static func pool(_ p: PoolEntry) -> Pool {
        var backends: [Backend] = []
        backends.reserveCapacity(p.backends.count)
        for entry in p.backends {
            guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...])
            else { continue }
            backends.append(Backend(host: String(entry[..<colon]), port: port))
        }
        return Pool(name: p.name, backends: backends, balancing: Pool.Balancing(rawValue: p.balancing) ?? .roundRobin)
    }

    /// A backend as a pool entry names it: `host:port`. Appended, not interpolated: an address of
    /// 15 bytes or fewer (`127.0.0.1:30001`) is then held inline, where an interpolated one was a
    /// heap string (2.8 MB at 50,000 backends).
    static func address(host: String, port: Int) -> String {
        var address = host
        address += ":"
        address += String(port)
        return address
    }

    public static func load(from path: String) -> TableSnapshot? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(TableSnapshot.self, from: data)
    }
}

extension TableSnapshot {
    /// What `table` routes, as it is saved: its rules by name, its pools by name (the rules and
    /// pools it was made of, in the forms `RouteRule` and `Pool` hold them: host patterns and
    /// header names lower-cased, path prefixes normalized; each makes the same table again).
    public init(_ table: RoutingTable) {
        version = table.version
        rules = table.routes.map(\.rule).sorted { $0.name < $1.name }.map { rule in
            let host =
                switch rule.host {
                case .exact(let name): name
                case .wildcard(let suffix): "*" + suffix
                }
            return Rule(
                name: rule.name,
                host: host,
                pathPrefix: rule.pathPrefix,
                headers: rule.headers.map { [$0.name, $0.value] },
                priority: rule.priority,
                pool: rule.pool,
                sources: rule.sources.map { $0.sorted() }
            )
        }
        pools = table.pools.values.sorted { $0.name < $1.name }.map { pool in
            PoolEntry(
                name: pool.name,
                balancing: pool.balancing.rawValue,
                backends: pool.backends.map { TableSnapshot.address(host: $0.host, port: $0.port) }
            )
        }
    }
}

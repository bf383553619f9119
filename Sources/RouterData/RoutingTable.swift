/// An immutable routing table: rules indexed by host, and the pools they lead to.
///
/// Lookup hashes the host (exact names, then each `*.` suffix of it, most specific first), so it
/// costs the same at 10 routes and at 10,000. Among the rules of the most specific host that has
/// a match: the longest path prefix wins, then the rule with more header conditions, then the
/// higher priority, then the name.
public struct RoutingTable: Sendable {
    /// Identifies what the table was built from (e.g. the highest znode version), for reporting.
    public let version: String
    public let pools: [String: Pool]
    /// Rules per host, in precedence order, each with its pool (resolved once, at build time).
    let exact: [String: [Route]]
    let wildcard: [String: [Route]]

    /// A rule with its pool. A class: the request path passes one reference around instead of
    /// copying the rule's strings.
    public final class Route: Sendable {
        public let rule: RouteRule
        public let pool: Pool?
        /// The rule's conditions, held apart: reading them through `rule` copied the whole rule
        /// per request (about 18 retains and releases, measured).
        let pathPrefix: String
        let headers: [(name: String, value: String)]
        let sources: Set<String>?

        init(rule: RouteRule, pool: Pool?) {
            self.rule = rule
            self.pool = pool
            pathPrefix = rule.pathPrefix
            headers = rule.headers
            sources = rule.sources
        }

        /// Whether a client at `address` may use it (always, unless the rule names its sources).
        public func admits(_ address: String) -> Bool {
            guard let sources else { return true }
            return sources.contains(address)
        }

        func matches(path: Substring, header: (String) -> String?) -> Bool {
            RouteRule.matches(path: path, prefix: pathPrefix)
                && (headers.isEmpty || RouteRule.matches(headers: headers, header))
        }
    }
    public let ruleCount: Int
    /// The host entries holding a rule of each pool: what a new set of backends for one pool
    /// changes (`replacingPools`).
    let entriesByPool: [String: HostEntries]

    enum HostEntry: Hashable, Sendable {
        case exact(String)
        case wildcard(String)
    }

    public init(version: String = "", rules: [RouteRule], pools: [Pool]) {
        self.version = version
        var exact: [String: [RouteRule]] = [:]
        var wildcard: [String: [RouteRule]] = [:]
        var entriesByPool: [String: HostEntries] = [:]
        for rule in rules {
            switch rule.host {
            case .exact(let host): exact[host, default: []].append(rule)
            case .wildcard(let suffix): wildcard[suffix, default: []].append(rule)
            }
            entriesByPool[rule.pool] = .adding(HostEntry(rule.host), to: entriesByPool.removeValue(forKey: rule.pool))
        }
        let byName = Dictionary(pools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let entries = { (rules: [RouteRule]) in
            rules.sorted(by: RoutingTable.precedes).map { Route(rule: $0, pool: byName[$0.pool]) }
        }
        self.exact = exact.mapValues(entries)
        self.wildcard = wildcard.mapValues(entries)
        self.pools = byName
        self.ruleCount = rules.count
        self.entriesByPool = entriesByPool
    }

    init(
        version: String,
        pools: [String: Pool],
        exact: [String: [Route]],
        wildcard: [String: [Route]],
        ruleCount: Int,
        entriesByPool: [String: HostEntries]
    ) {
        self.version = version
        self.pools = pools
        self.exact = exact
        self.wildcard = wildcard
        self.ruleCount = ruleCount
        self.entriesByPool = entriesByPool
    }

    public static let empty = RoutingTable(rules: [], pools: [])

    /// The order of rules for one host: the first that matches wins.
    static func precedes(_ a: RouteRule, _ b: RouteRule) -> Bool {
        if a.pathPrefix.count != b.pathPrefix.count { return a.pathPrefix.count > b.pathPrefix.count }
        if a.headers.count != b.headers.count { return a.headers.count > b.headers.count }
        if a.priority != b.priority { return a.priority > b.priority }
        return a.name < b.name
    }

    /// The rule for a request. `host` may carry a port and any case; `target` may carry a query.
    public func match(host rawHost: Substring, target: Substring, header: (String) -> String?) -> RouteRule? {
        route(host: rawHost, target: target, header: header)?.rule
    }

    /// The rule and its pool, for a request.
    public func route(host rawHost: Substring, target: Substring, header: (String) -> String?) -> Route? {
        let host = Self.normalize(host: rawHost)
        // Bytes, not Characters: no grapheme breaking on the request path.
        let path =
            target.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }).map { target[..<$0] }
            ?? target
        if let routes = exact[host], let route = Self.first(routes, path: path, header: header) { return route }
        guard !wildcard.isEmpty else { return nil }
        let bytes = host.utf8
        var index = bytes.startIndex
        while let dot = bytes[index...].firstIndex(of: UInt8(ascii: ".")) {
            // ".example.com" for "shop.example.com": at least one label must precede the suffix.
            if dot != bytes.startIndex, let routes = wildcard[String(host[dot...])],
                let route = Self.first(routes, path: path, header: header)
            {
                return route
            }
            index = bytes.index(after: dot)
        }
        return nil
    }

    private static func first(_ routes: [Route], path: Substring, header: (String) -> String?) -> Route? {
        for route in routes where route.matches(path: path, header: header) { return route }
        return nil
    }

    /// The host without port or trailing dot, lower case. Scans the bytes in place: this runs
    /// once per request.
    static func normalize(host: Substring) -> String {
        if let name = host.utf8.withContiguousStorageIfAvailable({ normalize(bytes: UnsafeRawBufferPointer($0)) }) {
            return name
        }
        var copy = String(host)
        return copy.withUTF8 { normalize(bytes: UnsafeRawBufferPointer($0)) }
    }

    private static func normalize(bytes: UnsafeRawBufferPointer) -> String {
        var end = bytes.count
        if end > 0, bytes[0] == UInt8(ascii: "[") {  // IPv6 literal: keep as is up to the bracket
            if let close = bytes.firstIndex(of: UInt8(ascii: "]")) { end = close + 1 }
        } else {
            var i = end
            while i > 0 {
                i -= 1
                if bytes[i] == UInt8(ascii: ":") {
                    end = i
                    break
                }
            }
        }
        if end > 0, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        let name = UnsafeRawBufferPointer(rebasing: bytes[..<end])
        // Host headers are nearly always lower-case ASCII already: then the bytes are the name.
        var upper = false
        for byte in name where byte >= 0x80 || (byte >= 65 && byte <= 90) {
            if byte >= 0x80 { return String(decoding: name, as: UTF8.self).lowercased() }
            upper = true
        }
        guard upper else { return String(decoding: name, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: name.count) { out in
            for (i, byte) in name.enumerated() { out[i] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
            return name.count
        }
    }
}

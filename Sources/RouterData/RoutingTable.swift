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
    private let exact: [String: [RouteRule]]
    private let wildcard: [String: [RouteRule]]
    public let ruleCount: Int

    public init(version: String = "", rules: [RouteRule], pools: [Pool]) {
        self.version = version
        var exact: [String: [RouteRule]] = [:]
        var wildcard: [String: [RouteRule]] = [:]
        for rule in rules {
            switch rule.host {
            case .exact(let host): exact[host, default: []].append(rule)
            case .wildcard(let suffix): wildcard[suffix, default: []].append(rule)
            }
        }
        self.exact = exact.mapValues { $0.sorted(by: RoutingTable.precedes) }
        self.wildcard = wildcard.mapValues { $0.sorted(by: RoutingTable.precedes) }
        self.pools = Dictionary(pools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.ruleCount = rules.count
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
        let host = Self.normalize(host: rawHost)
        let path = target.firstIndex(where: { $0 == "?" || $0 == "#" }).map { target[..<$0] } ?? target
        if let rules = exact[host], let rule = Self.first(rules, path: path, header: header) { return rule }
        var index = host.startIndex
        while let dot = host[index...].firstIndex(of: ".") {
            // ".example.com" for "shop.example.com": at least one label must precede the suffix.
            if dot != host.startIndex, let rules = wildcard[String(host[dot...])],
                let rule = Self.first(rules, path: path, header: header)
            {
                return rule
            }
            index = host.index(after: dot)
        }
        return nil
    }

    /// The rule and its pool, for a request.
    public func route(host: Substring, target: Substring, header: (String) -> String?) -> (RouteRule, Pool?)? {
        guard let rule = match(host: host, target: target, header: header) else { return nil }
        return (rule, pools[rule.pool])
    }

    private static func first(_ rules: [RouteRule], path: Substring, header: (String) -> String?) -> RouteRule? {
        rules.first { $0.matches(path: path) && $0.matches(headers: header) }
    }

    static func normalize(host: Substring) -> String {
        var h = host
        if h.hasPrefix("[") {  // IPv6 literal: keep as is up to the bracket
            if let end = h.firstIndex(of: "]") { h = h[...end] }
        } else if let colon = h.lastIndex(of: ":") {
            h = h[..<colon]
        }
        if h.hasSuffix(".") { h = h.dropLast() }
        // Host headers are nearly always lower case already: skip the copy-and-map then.
        if !h.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) { return String(h) }
        return h.lowercased()
    }
}

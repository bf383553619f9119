/// One routing rule: which requests (host, path prefix, headers) go to which pool.
public struct RouteRule: Hashable, Sendable {
    public enum HostPattern: Hashable, Sendable {
        /// `shop.example.com`
        case exact(String)
        /// `*.example.com`: any name ending in `.example.com` (one or more labels before it).
        case wildcard(suffix: String)

        /// Parses `shop.example.com` or `*.example.com` (lower-cased; a name already in lower
        /// case is kept, not copied: a table of 10,000 routes held 0.6 MB of such copies).
        public init(_ text: String) {
            let lower = text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 }) ? text.lowercased() : text
            if lower.hasPrefix("*.") {
                self = .wildcard(suffix: String(lower.dropFirst(1)))
            } else {
                self = .exact(lower)
            }
        }
    }

    public var name: String
    public var host: HostPattern
    /// Matches whole path segments: `/api` matches `/api` and `/api/x`, not `/apix`.
    public var pathPrefix: String
    /// Every header must be present with exactly this value (names compared case-insensitively).
    public var headers: [(name: String, value: String)]
    /// Higher wins among otherwise equal matches.
    public var priority: Int
    public var pool: String
    /// The client addresses it serves (an internal router's rule: the containers of the apps that
    /// depend on the pool); nil: every client.
    public var sources: Set<String>?

    public init(
        name: String,
        host: HostPattern,
        pathPrefix: String = "/",
        headers: [(name: String, value: String)] = [],
        priority: Int = 0,
        pool: String,
        sources: Set<String>? = nil
    ) {
        self.sources = sources
        self.name = name
        self.host = host
        // Compared with request paths in the same form (`/%7Eu` is `/~u`).
        self.pathPrefix = pathPrefix.isEmpty ? "/" : PercentEncoding.normalized(pathPrefix)
        self.headers = headers.map { ($0.name.lowercased(), $0.value) }
        self.priority = priority
        self.pool = pool
    }

    public static func == (a: RouteRule, b: RouteRule) -> Bool {
        a.name == b.name && a.host == b.host && a.pathPrefix == b.pathPrefix && a.priority == b.priority
            && a.pool == b.pool && a.sources == b.sources
            && a.headers.elementsEqual(b.headers, by: { $0.name == $1.name && $0.value == $1.value })
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(host)
        hasher.combine(pathPrefix)
        hasher.combine(priority)
        hasher.combine(pool)
    }

    /// Whether `path` (without query) starts with `pathPrefix` at a segment boundary. Static, on
    /// the rule's parts: `RoutingTable.Route` holds them apart so matching copies no rule.
    static func matches(path: Substring, prefix pathPrefix: String) -> Bool {
        let prefix = pathPrefix.utf8
        if prefix.count == 1 && prefix.first == UInt8(ascii: "/") { return true }
        let bytes = path.utf8
        guard bytes.count >= prefix.count, bytes.starts(with: prefix) else { return false }
        if bytes.count == prefix.count || prefix.last == UInt8(ascii: "/") { return true }
        return bytes[bytes.index(bytes.startIndex, offsetBy: prefix.count)] == UInt8(ascii: "/")
    }

    static func matches(headers: [(name: String, value: String)], _ lookup: (String) -> String?) -> Bool {
        headers.allSatisfy { lookup($0.name) == $0.value }
    }
}

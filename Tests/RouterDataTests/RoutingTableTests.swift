import RouterData
import Testing

@Suite struct RoutingTableTests {
    static let rules: [RouteRule] = [
        RouteRule(name: "shop", host: .init("shop.example.com"), pool: "shop"),
        RouteRule(name: "shop-checkout", host: .init("shop.example.com"), pathPrefix: "/checkout", pool: "checkout"),
        RouteRule(name: "shop-canary", host: .init("shop.example.com"), headers: [("X-Canary", "1")], pool: "canary"),
        RouteRule(
            name: "shop-low",
            host: .init("shop.example.com"),
            pathPrefix: "/checkout",
            priority: -1,
            pool: "never"
        ),
        RouteRule(name: "any-shop", host: .init("*.example.com"), pool: "wild"),
        RouteRule(name: "any-api", host: .init("*.api.example.com"), pathPrefix: "/v1/", pool: "api-v1"),
        RouteRule(name: "high", host: .init("prio.example.org"), priority: 10, pool: "high"),
        RouteRule(name: "low", host: .init("prio.example.org"), priority: 1, pool: "low"),
        RouteRule(name: "v6", host: .init("[::1]"), pool: "v6"),
        RouteRule(name: "unicode", host: .init("straße.example.net"), pool: "unicode"),
    ]
    static let table = RoutingTable(rules: rules, pools: [])

    @Test(
        arguments: [
            ("shop.example.com", "/", [:], "shop"),
            ("SHOP.example.com:8080", "/index.html?x=1", [:], "shop"),
            ("shop.example.com.", "/", [:], "shop"),
            ("Shop.EXAMPLE.com.:443", "/", [:], "shop"),
            ("shop.example.com:", "/", [:], "shop"),
            ("[::1]:8080", "/", [:], "v6"),
            ("[::1]", "/", [:], "v6"),
            ("STRASSE.example.net", "/", [:], nil),
            ("STRAẞE.example.net", "/", [:], "unicode"),  // non-ASCII: lower-cased as Unicode, as the rule was
            ("shop.example.com", "/checkout", [:], "shop-checkout"),
            ("shop.example.com", "/checkout/cart?id=3", [:], "shop-checkout"),
            ("shop.example.com", "/checkoutx", [:], "shop"),  // segment boundary
            ("shop.example.com", "/", ["x-canary": "1"], "shop-canary"),
            ("shop.example.com", "/", ["x-canary": "2"], "shop"),
            ("shop.example.com", "/checkout", ["x-canary": "1"], "shop-checkout"),  // longer prefix first
            ("other.example.com", "/", [:], "any-shop"),
            ("a.b.example.com", "/", [:], "any-shop"),
            ("x.api.example.com", "/v1/users", [:], "any-api"),
            ("x.api.example.com", "/v2/users", [:], "any-shop"),  // falls back to the less specific wildcard
            ("example.com", "/", [:], nil),  // *.example.com needs a label before it
            ("prio.example.org", "/", [:], "high"),
            ("nothing.test", "/", [:], nil),
        ] as [(String, String, [String: String], String?)]
    )
    func matches(host: String, target: String, headers: [String: String], expected: String?) {
        let rule = Self.table.match(host: host[...], target: target[...]) { headers[$0] }
        #expect(rule?.name == expected)
    }

    @Test(arguments: [
        // (prefix as written, as compared)
        ("/%7Euser", "/~user"),
        ("/%2e%2E/%41", "/../A"),
        ("/a%2fb%3a", "/a%2Fb%3A"),
        ("/a%25", "/a%25"),
        ("/plain", "/plain"),
        ("/bad%zz", "/bad%zz"),  // not well formed: kept (the schema refuses it before it gets here)
    ])
    func routePrefixesAreComparedWithTheirEscapesNormalized(written: String, compared: String) {
        let rule = RouteRule(name: "r", host: .init("a.test"), pathPrefix: written, pool: "p")
        #expect(rule.pathPrefix == compared)
    }

    @Test func aPrefixWithEscapesMatchesTheRequestPathItNames() {
        // Request paths arrive normalized (the proxy's RequestTarget): `/~user/x` for `/%7euser/x`.
        let table = RoutingTable(
            rules: [
                RouteRule(name: "home", host: .init("a.test"), pool: "home"),
                RouteRule(name: "user", host: .init("a.test"), pathPrefix: "/%7euser", pool: "user"),
            ],
            pools: []
        )
        #expect(table.match(host: "a.test", target: "/~user/x") { _ in nil }?.name == "user")
        #expect(table.match(host: "a.test", target: "/user/x") { _ in nil }?.name == "home")
    }

    @Test func randomTablesAgreeWithANaiveMatcher() {
        var rng = SplitMix(seed: 42)
        let labels = ["a", "b", "c", "shop", "api"]
        let domains = ["example.com", "test.org"]
        let prefixes = ["/", "/a", "/a/b", "/b", "/api/", "/a/bc"]
        func randomHost() -> String {
            let depth = Int(rng.next() % 3)
            return (0...depth).map { _ in labels[Int(rng.next() % UInt64(labels.count))] }.joined(separator: ".")
                + "." + domains[Int(rng.next() % 2)]
        }
        var matched = 0
        for round in 0..<200 {
            var rules: [RouteRule] = []
            for i in 0..<Int(rng.next() % 40 + 1) {
                var host = randomHost()
                if rng.next() % 3 == 0 { host = "*." + host.split(separator: ".", maxSplits: 1).last! }
                let headers: [(String, String)] = rng.next() % 4 == 0 ? [("x-h", "\(rng.next() % 2)")] : []
                rules.append(
                    RouteRule(
                        name: "r\(i)",
                        host: .init(host),
                        pathPrefix: prefixes[Int(rng.next() % UInt64(prefixes.count))],
                        headers: headers,
                        priority: Int(rng.next() % 3),
                        pool: "p\(i)"
                    )
                )
            }
            let table = RoutingTable(rules: rules, pools: [])
            for _ in 0..<50 {
                let host = randomHost()
                let path = prefixes[Int(rng.next() % UInt64(prefixes.count))] + (rng.next() % 2 == 0 ? "" : "/x")
                let headers = rng.next() % 2 == 0 ? ["x-h": "\(rng.next() % 2)"] : [:]
                let fast = table.match(host: host[...], target: path[...]) { headers[$0] }
                let slow = NaiveMatcher.match(rules, host: host, path: path, headers: headers)
                #expect(fast?.name == slow?.name, "round \(round): \(host)\(path) \(headers)")
                if slow != nil { matched += 1 }
            }
        }
        // The generator must produce matches of every sort, or the comparison proves little.
        #expect(matched > 1000)
    }
}

/// The obvious, slow definition of a match: scan every rule and rank the ones that match.
enum NaiveMatcher {
    static func match(_ rules: [RouteRule], host: String, path: String, headers: [String: String]) -> RouteRule? {
        func hostRank(_ rule: RouteRule) -> Int? {
            switch rule.host {
            case .exact(let h): return h == host ? Int.max : nil
            case .wildcard(let suffix):
                return host.hasSuffix(suffix) && host.count > suffix.count ? suffix.count : nil
            }
        }
        func pathMatches(_ prefix: String) -> Bool {
            if prefix == "/" { return true }
            if path == prefix { return true }
            if prefix.hasSuffix("/") { return path.hasPrefix(prefix) }
            return path.hasPrefix(prefix + "/")
        }
        let candidates = rules.filter { rule in
            hostRank(rule) != nil && pathMatches(rule.pathPrefix)
                && rule.headers.allSatisfy { headers[$0.name] == $0.value }
        }
        return candidates.max { a, b in
            let ka = (hostRank(a)!, a.pathPrefix.count, a.headers.count, a.priority)
            let kb = (hostRank(b)!, b.pathPrefix.count, b.headers.count, b.priority)
            if ka != kb { return ka < kb }
            return a.name > b.name
        }
    }
}

/// A small deterministic generator, so a failing case can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ReplacingPoolsTests {
    /// A pool replaced in place routes exactly as a table built whole with that pool.
    @Test func aReplacedPoolRoutesAsATableBuiltWithIt() throws {
        let rules = [
            RouteRule(name: "a", host: .init("a.test"), pool: "p1"),
            RouteRule(name: "a-api", host: .init("a.test"), pathPrefix: "/api", pool: "p2"),
            RouteRule(name: "w", host: .init("*.w.test"), pool: "p1"),
            RouteRule(name: "b", host: .init("b.test"), pool: "p3"),
        ]
        let before = [
            Pool(name: "p1", backends: [Backend(host: "h", port: 1)]),
            Pool(name: "p2", backends: [Backend(host: "h", port: 2)]),
            Pool(name: "p3", backends: [Backend(host: "h", port: 3)]),
        ]
        let p1 = Pool(name: "p1", backends: [Backend(host: "h", port: 10), Backend(host: "h", port: 11)])
        let replaced = RoutingTable(version: "1", rules: rules, pools: before).replacingPools([p1], version: "2")
        let whole = RoutingTable(version: "2", rules: rules, pools: [p1, before[1], before[2]])
        #expect(replaced.version == "2")
        #expect(replaced.ruleCount == whole.ruleCount)
        for (host, path) in [
            ("a.test", "/"), ("a.test", "/api/x"), ("x.w.test", "/"), ("b.test", "/"), ("c.test", "/"),
        ] {
            let r = replaced.route(host: host[...], target: path[...], header: { _ in nil })
            let w = whole.route(host: host[...], target: path[...], header: { _ in nil })
            #expect(r?.rule.name == w?.rule.name)
            #expect(r?.pool?.backends == w?.pool?.backends)
        }
        #expect(replaced.route(host: "a.test", target: "/", header: { _ in nil })?.pool === p1)
        #expect(replaced.pools["p3"] === before[2])
    }
}

@Suite struct ReplacingRulesTests {
    /// Rules taken out and put in and pools replaced, added and removed, step after step: after
    /// each step the table changed in place routes exactly as one built whole from the same rules
    /// and pools (every host entry in the same order, each rule with the pool of that name).
    @Test func randomChangesInPlaceGiveTheTableBuiltWhole() {
        var rng = SplitMix(seed: 7)
        let hosts = ["a.test", "b.test", "*.w.test", "*.test", "c.test"]
        let prefixes = ["/", "/api", "/api/v2", "/b"]
        func randomPool() -> Pool {
            let name = "p\(rng.next() % 6)"
            let backends = (0..<Int(rng.next() % 3)).map { _ in Backend(host: "h", port: Int(rng.next() % 50)) }
            return Pool(
                name: name,
                backends: backends,
                balancing: rng.next() % 2 == 0 ? .roundRobin : .leastConnections
            )
        }
        func describe(_ table: RoutingTable) -> [String] {
            table.routes.map { route in
                "\(route.rule.name) \(route.rule.host) \(route.rule.pathPrefix) \(route.rule.pool) "
                    + "\(route.pool.map { "\($0.balancing) \($0.backends.map(\.port))" } ?? "none")"
            } + ["rules \(table.ruleCount)"] + table.pools.keys.sorted()
        }
        var rules: [RouteRule] = []
        var pools: [String: Pool] = [:]
        var table = RoutingTable(rules: [], pools: [])
        var next = 0
        var removals = 0
        var largest = 0
        for step in 0..<400 {
            var removed: [RouteRule] = []
            var added: [RouteRule] = []
            var changed: [Pool] = []
            var gone: [String] = []
            for _ in 0..<Int(rng.next() % 4) {
                switch rng.next() % 4 {
                case 0 where !rules.isEmpty:
                    removed.append(rules.remove(at: Int(rng.next() % UInt64(rules.count))))
                case 0, 1:
                    next += 1
                    let rule = RouteRule(
                        name: "r\(next)",
                        host: .init(hosts[Int(rng.next() % UInt64(hosts.count))]),
                        pathPrefix: prefixes[Int(rng.next() % UInt64(prefixes.count))],
                        priority: Int(rng.next() % 2),
                        pool: "p\(rng.next() % 6)"
                    )
                    rules.append(rule)
                    added.append(rule)
                case 2:
                    let pool = randomPool()
                    pools[pool.name] = pool
                    changed.append(pool)
                    gone.removeAll { $0 == pool.name }  // the last word on a pool in a step is the one given
                default:
                    let name = "p\(rng.next() % 6)"
                    if pools.removeValue(forKey: name) != nil {
                        gone.append(name)
                        changed.removeAll { $0.name == name }
                    }
                }
            }
            removals += removed.count
            largest = max(largest, rules.count)
            table = table.replacing(
                removing: removed,
                adding: added,
                pools: changed,
                removingPools: gone,
                version: "\(step)"
            )
            let whole = RoutingTable(version: "\(step)", rules: rules, pools: Array(pools.values))
            #expect(describe(table) == describe(whole), "step \(step)")
            #expect(table.version == "\(step)")
        }
        #expect(removals > 50 && largest > 10)  // the sequence exercised both
    }
}

extension RoutingTable {
    /// The same rules with `changed` pools in place of those of the same names: what one pool's
    /// new backends change, without building the whole table again (the rest is shared).
    public func replacingPools(_ changed: [Pool], version: String) -> RoutingTable {
        replacing(removing: [], adding: [], pools: changed, version: version)
    }

    /// The table with the `added` rules put in, the `removed` ones taken out, `changed` pools in
    /// place of those of the same names (or added) and the `gone` pools left out (a pool in both is
    /// gone). Only the host
    /// entries these touch are built again; the rest is shared with this table. The same table
    /// as one built whole from the resulting rules and pools.
    public func replacing(
        removing removed: [RouteRule],
        adding added: [RouteRule],
        pools changed: [Pool],
        removingPools gone: [String] = [],
        version: String
    ) -> RoutingTable {
        var pools = self.pools
        for pool in changed { pools[pool.name] = pool }
        for name in gone { pools[name] = nil }
        var entriesByPool = self.entriesByPool
        var touched: Set<HostEntry> = []
        for name in changed.map(\.name) + gone {
            if let entries = entriesByPool[name] { touched.formUnion(entries) }
        }
        var removing: [HostEntry: [RouteRule]] = [:]
        for rule in removed { removing[HostEntry(rule.host), default: []].append(rule) }
        var adding: [HostEntry: [RouteRule]] = [:]
        for rule in added { adding[HostEntry(rule.host), default: []].append(rule) }
        touched.formUnion(removing.keys)
        touched.formUnion(adding.keys)
        var exact = self.exact
        var wildcard = self.wildcard
        var ruleCount = self.ruleCount + added.count
        for entry in touched {
            var rules = (entry.routes(exact: exact, wildcard: wildcard) ?? []).map(\.rule)
            // Added first: a rule put in and taken out in one change is gone, and one taken out and
            // put in again (its route rewritten unchanged) stays.
            for rule in adding[entry] ?? [] {
                rules.append(rule)
                entriesByPool[rule.pool] = .adding(entry, to: entriesByPool.removeValue(forKey: rule.pool))
            }
            for rule in removing[entry] ?? [] {
                guard let index = rules.firstIndex(of: rule) else { continue }
                rules.remove(at: index)
                ruleCount -= 1
                // The entry leaves its pool's entries with its last rule of that pool.
                if !rules.contains(where: { $0.pool == rule.pool }) {
                    entriesByPool[rule.pool] = .removing(entry, from: entriesByPool.removeValue(forKey: rule.pool))
                }
            }
            let routes =
                rules.isEmpty ? nil : rules.sorted(by: Self.precedes).map { Route(rule: $0, pool: pools[$0.pool]) }
            switch entry {
            case .exact(let host): exact[host] = routes
            case .wildcard(let suffix): wildcard[suffix] = routes
            }
        }
        return RoutingTable(
            version: version,
            pools: pools,
            exact: exact,
            wildcard: wildcard,
            ruleCount: ruleCount,
            entriesByPool: entriesByPool
        )
    }

    /// Every rule with its pool, by host entry in precedence order (exact hosts, then wildcards,
    /// each by name): what the table routes, for comparing two tables.
    public var routes: [Route] {
        let byHost = { (entries: [String: [Route]]) in entries.sorted { $0.key < $1.key }.flatMap(\.value) }
        return byHost(exact) + byHost(wildcard)
    }
}

extension RoutingTable.HostEntry {
    init(_ host: RouteRule.HostPattern) {
        switch host {
        case .exact(let name): self = .exact(name)
        case .wildcard(let suffix): self = .wildcard(suffix)
        }
    }

    func routes(
        exact: [String: [RoutingTable.Route]],
        wildcard: [String: [RoutingTable.Route]]
    ) -> [RoutingTable.Route]? {
        switch self {
        case .exact(let host): exact[host]
        case .wildcard(let suffix): wildcard[suffix]
        }
    }
}

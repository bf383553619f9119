public import RouterData
public import ZKModel

extension TableBuilder {
    /// The table `snapshot(routes:services:instances:version:internalApps:).table()` makes, made
    /// straight from the reports: each backend held as its host and port from the start, not as
    /// `host:port` text parsed back, and each pool's backends counted first and put in a list of
    /// their number. At 10,000 pools and 50,000 reports the snapshot's way made 50,000 address
    /// strings, 50,000 pool names and 40,000 lists only to drop them once the table was made:
    /// the gaps they left between the table's own blocks (pool names, pools) were ~4 MB the
    /// process kept.
    public static func table<Instance: RoutedInstance>(
        routes: [ParsedRoute],
        services: [Document],
        instances: some Collection<Instance>,
        version: String,
        internalApps: Set<String> = []
    ) -> RoutingTable {
        let routes = routes.sorted(by: { $0.name < $1.name })
        let servicesByName = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var serving = servingBackends(instances)
        var rules: [RouteRule] = []
        rules.reserveCapacity(routes.count)
        var pools: [String: Pool] = [:]
        for route in routes {
            guard let rule = rule(for: route, internalApps: internalApps) else { continue }
            // Routes sharing a pool share its balancing; the first route's choice wins.
            if pools[rule.pool] == nil {
                let spec = route.spec.pool
                var backends: [Backend]
                if let service = spec.service {
                    backends = serviceEndpoints(service, servicesByName)
                } else {
                    let key = PoolKey(app: spec.app ?? "", environment: spec.environment ?? "")
                    backends = serving.removeValue(forKey: key) ?? []
                    backends.sort { AddressText($0).precedes(AddressText($1)) }
                }
                pools[rule.pool] = Pool(
                    name: rule.pool,
                    backends: backends,
                    balancing: Pool.Balancing(rawValue: route.spec.balancing ?? "roundRobin") ?? .roundRobin
                )
            }
            rules.append(TableSnapshot.rule(rule))
        }
        return RoutingTable(version: version, rules: rules, pools: Array(pools.values))
    }

    /// An app environment, as reports and Routes name it (no pool name made for each report).
    struct PoolKey: Hashable {
        var app: String
        var environment: String
    }

    /// The serving instances' backends by app environment, each list made at its size (counted
    /// first): a list grown by appending is made again at 1, 2, 4 and 8.
    static func servingBackends<Instance: RoutedInstance>(
        _ instances: some Collection<Instance>
    ) -> [PoolKey: [Backend]] {
        var counts: [PoolKey: Int] = [:]
        for instance in instances where instance.serving {
            counts[PoolKey(app: instance.app, environment: instance.environment), default: 0] += 1
        }
        var backends: [PoolKey: [Backend]] = [:]
        backends.reserveCapacity(counts.count)
        for instance in instances where instance.serving {
            let key = PoolKey(app: instance.app, environment: instance.environment)
            let backend = Backend(host: instance.host, port: instance.port)
            if backends[key]?.append(backend) == nil {
                var list: [Backend] = []
                list.reserveCapacity(counts[key] ?? 1)
                list.append(backend)
                backends[key] = list
            }
        }
        return backends
    }

    /// A Service's endpoints (none when it is missing or does not decode).
    static func serviceEndpoints(_ service: String, _ servicesByName: [String: Document]) -> [Backend] {
        guard let doc = servicesByName[service], let spec = try? doc.decodeSpec(ServiceSpec.self) else { return [] }
        return spec.endpoints.map { Backend(host: $0.host, port: $0.port) }
    }
}

extension AddressText {
    init(_ backend: Backend) { self.init(host: backend.host, port: backend.port) }
}

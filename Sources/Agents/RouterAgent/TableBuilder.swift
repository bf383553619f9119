import RouterData
public import ZKModel

/// Turns Route, Deploy and Service documents and instance reports into a routing table snapshot.
/// A route to an app's environment reaches its healthy instances; a route to a Service, its endpoints.
/// The router makes its table straight from the reports (`table(routes:services:instances:…)`,
/// the same table); a snapshot is the table as JSON holds it, and what that is checked against.
public enum TableBuilder {
    /// Routes whose spec does not decode are left out.
    public static func snapshot(
        routes: [Document],
        services: [Document],
        instances: [InstanceStatus],
        version: String,
        internalApps: Set<String> = []
    ) -> TableSnapshot {
        snapshot(
            routes: routes.compactMap { try? ParsedRoute($0) },
            services: services,
            instances: instances,
            version: version,
            internalApps: internalApps
        )
    }

    public static func snapshot<Instance: RoutedInstance>(
        routes: [ParsedRoute],
        services: [Document],
        instances: some Sequence<Instance>,
        version: String,
        internalApps: Set<String> = []
    ) -> TableSnapshot {
        let routes = routes.sorted(by: { $0.name < $1.name })
        var rules: [TableSnapshot.Rule] = []
        rules.reserveCapacity(routes.count)  // grown by appending, 10,000 rules took room for 16,384
        var pools: [String: TableSnapshot.PoolEntry] = [:]
        let servicesByName = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // One pass over the reports (not one per route): the serving instances of each pool.
        var serving: [String: [String]] = [:]
        for instance in instances where instance.serving {
            serving[RouterReport.poolName(app: instance.app, environment: instance.environment), default: []]
                .append(TableSnapshot.address(host: instance.host, port: instance.port))
        }
        for route in routes {
            guard let rule = rule(for: route, internalApps: internalApps) else { continue }
            // Routes sharing a pool share its balancing; the first route's choice wins.
            if pools[rule.pool] == nil {
                pools[rule.pool] = TableSnapshot.PoolEntry(
                    name: rule.pool,
                    balancing: route.spec.balancing ?? "roundRobin",
                    backends: route.spec.pool.service.map { serviceBackends($0, servicesByName) }
                        ?? (serving[rule.pool] ?? []).sorted()
                )
            }
            rules.append(rule)
        }
        return TableSnapshot(version: version, rules: rules, pools: pools.values.sorted { $0.name < $1.name })
    }

    /// A route's rule, naming its pool: `service/<name>` or `app/<app>/<environment>`; nil for a
    /// route that names neither, or an internal app (served by internal routers only, whatever
    /// Routes name it).
    static func rule(for route: ParsedRoute, internalApps: Set<String>) -> TableSnapshot.Rule? {
        let spec = route.spec
        let poolName: String
        if let service = spec.pool.service {
            poolName = "service/\(service)"
        } else if let app = spec.pool.app, let env = spec.pool.environment {
            if internalApps.contains(app) { return nil }
            poolName = RouterReport.poolName(app: app, environment: env)
        } else {
            return nil
        }
        return TableSnapshot.Rule(
            name: route.name,
            host: spec.host,
            pathPrefix: spec.pathPrefix ?? "/",
            headers: (spec.headers ?? []).map { [$0.name, $0.value] },
            priority: spec.priority ?? 0,
            pool: poolName
        )
    }

    /// A Service's endpoints as `host:port` (none when it is missing or does not decode).
    static func serviceBackends(_ service: String, _ servicesByName: [String: Document]) -> [String] {
        serviceEndpoints(service, servicesByName).map { TableSnapshot.address(host: $0.host, port: $0.port) }
    }

    /// An internal router's table: for every app environment with instances, the host
    /// `<app>.<environment>.internal`, served only to the containers whose instances declare it
    /// (`reaches`, reported by their supervisors with the container's address).
    public static func internalSnapshot<Instance: RoutedInstance>(
        instances: some Sequence<Instance>,
        version: String
    ) -> TableSnapshot {
        var backends: [String: [String]] = [:]
        var callers: [String: Set<String>] = [:]
        var hosts: [String: String] = [:]
        for instance in instances {
            let pool = RouterReport.poolName(app: instance.app, environment: instance.environment)
            hosts[pool] = AppDependency(app: instance.app, environment: instance.environment).hostName
            if instance.serving {
                backends[pool, default: []].append(TableSnapshot.address(host: instance.host, port: instance.port))
            }
            if let address = instance.containerAddress, !address.isEmpty {
                for target in instance.reaches ?? [] { callers[target, default: []].insert(address) }
            }
        }
        let pools = hosts.keys.sorted()
        return TableSnapshot(
            version: version,
            rules: pools.map { pool in
                TableSnapshot.Rule(
                    name: "internal/\(pool)",
                    host: hosts[pool] ?? pool,
                    pathPrefix: "/",
                    headers: [],
                    priority: 0,
                    pool: pool,
                    sources: (callers[pool] ?? []).sorted()
                )
            },
            pools: pools.map {
                TableSnapshot.PoolEntry(name: $0, balancing: "roundRobin", backends: (backends[$0] ?? []).sorted())
            }
        )
    }
}

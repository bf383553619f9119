public import ZKModel

/// Turns Route, Deploy and Service documents and instance reports into a routing table snapshot.
/// A route to an app's environment reaches its healthy instances; a route to a Service, its endpoints.
public enum TableBuilder {
    public static func snapshot(
        routes: [Document],
        services: [Document],
        instances: [InstanceStatus],
        version: String
    ) -> TableSnapshot {
        var rules: [TableSnapshot.Rule] = []
        var pools: [String: TableSnapshot.PoolEntry] = [:]
        let servicesByName = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for route in routes.sorted(by: { $0.name < $1.name }) {
            guard let spec = try? route.decodeSpec(RouteSpec.self) else { continue }
            let poolName: String
            var backends: [String] = []
            if let service = spec.pool.service {
                poolName = "service/\(service)"
                if let doc = servicesByName[service], let s = try? doc.decodeSpec(ServiceSpec.self) {
                    backends = s.endpoints.map { "\($0.host):\($0.port)" }
                }
            } else if let app = spec.pool.app, let env = spec.pool.environment {
                poolName = RouterReport.poolName(app: app, environment: env)
                backends = instances.filter { $0.app == app && $0.environment == env && $0.serving }
                    .map { "\($0.host):\($0.port)" }.sorted()
            } else {
                continue
            }
            let balancing = spec.balancing ?? "roundRobin"
            // Routes sharing a pool share its balancing; the first route's choice wins.
            if pools[poolName] == nil {
                pools[poolName] = TableSnapshot.PoolEntry(name: poolName, balancing: balancing, backends: backends)
            }
            rules.append(
                TableSnapshot.Rule(
                    name: route.name,
                    host: spec.host,
                    pathPrefix: spec.pathPrefix ?? "/",
                    headers: (spec.headers ?? []).map { [$0.name, $0.value] },
                    priority: spec.priority ?? 0,
                    pool: poolName
                )
            )
        }
        return TableSnapshot(version: version, rules: rules, pools: pools.values.sorted { $0.name < $1.name })
    }
}

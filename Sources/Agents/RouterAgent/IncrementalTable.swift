import Metrics
import Reconciler
import RouterData
import Synchronization
import ZKModel
import ZooKeeper

/// What the last full build was made of: enough to apply a change of instance reports, Routes,
/// Services or Apps to the table in place (the pools and host entries they touch replaced),
/// instead of building everything again. The routing table alone is kept of what the build made:
/// its snapshot beside it (every rule and pool again, as JSON would have them) was 2.4 MB at
/// 10,000 Routes; what is saved to disk is made from the table when it is saved.
struct TableBase: Sendable {
    var revisions: CacheRevisions
    var owners: [String: Int64]
    var table: RoutingTable
    /// Each routed instance report, by key (the parsed report itself: no strings of its own); a
    /// dense dictionary: at 50,000 reports a `Dictionary` was 3.2 MB.
    var routed: DenseDictionary<String, ParsedReport>
    /// The keys of each pool's serving reports, in no order. Arrays, made at their size by a full
    /// build: a set for each pool took ~200 bytes for 5 keys (2.3 MB at 10,000 pools); a key is
    /// looked for only in its own pool, when its report changes.
    var members: [String: [String]]
    var maxZxid: Int64
    /// The apps served by internal routers only (one that becomes internal, or stops being, is a
    /// full build), and the Services by name.
    let internalApps: Set<String>
    var services: [String: Document]
    /// Each routed Route's rule, by its node's key (dense: a `Dictionary` of these ~90-byte rules
    /// was 1.7 MB at 10,000 Routes).
    var rules: DenseDictionary<String, TableSnapshot.Rule>
    /// Each pool's Routes (node key → name and balancing): the first by name sets its balancing.
    /// In arrays: a dictionary for each pool (nearly always of one Route) was ~200 bytes (2 MB at
    /// 10,000 pools).
    var poolRoutes: [String: [PoolRoute]]

    /// One of a pool's Routes: its node's key, its name and its balancing.
    struct PoolRoute: Sendable {
        var key: String
        var name: String
        var balancing: String
    }
    /// What changed since the table was last made: rules taken out and put in, pools touched.
    private var removed: [TableSnapshot.Rule] = []
    private var added: [TableSnapshot.Rule] = []
    private var touched: Set<String> = []

    init(_ build: FullBuild, table: RoutingTable) {
        revisions = build.revisions
        owners = build.owners
        self.table = table
        routed = [:]
        routed.reserveCapacity(build.kept.count)
        members = [:]
        maxZxid = build.maxZxid
        internalApps = build.internalApps
        services = Dictionary(build.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        rules = [:]
        rules.reserveCapacity(build.routes.count)
        poolRoutes = [:]
        // Each pool's name held once: the snapshot's (made again for each rule and report, the
        // copies kept as keys here were 1.2 MB at 10,000 pools).
        let names = Dictionary(build.external.pools.lazy.map { ($0.key, $0.key) }, uniquingKeysWith: { a, _ in a })
        for (key, report) in build.kept { place(key, report, pool: names[report.pool]) }
        members = members.mapValues { keys in
            [String](unsafeUninitializedCapacity: keys.count) { buffer, count in
                count = buffer.initialize(fromContentsOf: keys)
            }
        }
        for (key, route) in build.routes {
            guard var rule = TableBuilder.rule(for: route, internalApps: internalApps) else { continue }
            rule.pool = names[rule.pool] ?? rule.pool
            rules[key] = rule
            poolRoutes[rule.pool, default: []].append(PoolRoute(key: key, route))
        }
        touched = []
    }

    /// Puts report `key` in its pool (`next` nil: in none); `pool`: its name as held already.
    mutating func place(_ key: String, _ next: ParsedReport?, pool name: String? = nil) {
        if let old = routed[key] {
            let pool = old.pool
            if let index = members[pool]?.firstIndex(of: key) {
                members[pool]?.remove(at: index)
                if members[pool]?.isEmpty == true { members[pool] = nil }
            }
            touched.insert(pool)
        }
        routed[key] = next
        if let next {
            let pool = name ?? next.pool
            if next.serving { members[pool, default: []].append(key) }
            touched.insert(pool)
        }
    }

    /// Route node `key` as it is now (`route` nil: gone, or no valid version).
    mutating func route(_ key: String, _ route: ParsedRoute?) {
        if let old = rules.removeValue(forKey: key) {
            if let index = poolRoutes[old.pool]?.firstIndex(where: { $0.key == key }) {
                poolRoutes[old.pool]?.remove(at: index)
                if poolRoutes[old.pool]?.isEmpty == true { poolRoutes[old.pool] = nil }
            }
            touched.insert(old.pool)
            removed.append(old)
        }
        guard let route, let rule = TableBuilder.rule(for: route, internalApps: internalApps) else { return }
        rules[key] = rule
        poolRoutes[rule.pool, default: []].append(PoolRoute(key: key, route))
        touched.insert(rule.pool)
        added.append(rule)
    }

    /// Service `name` as it is now (`document` nil: gone): its pool's endpoints.
    mutating func service(_ name: String, _ document: Document?) {
        services[name] = document
        touched.insert("service/\(name)")
    }

    /// The table's pools and rules made what the changes since the last call say, at `version`:
    /// only the touched pools are built again (a pool whose backends and balancing are what they
    /// were is kept), and only the host entries they and the changed rules are in.
    mutating func commit(version: String) {
        var changed: [Pool] = []
        var gone: [String] = []
        for name in touched {
            let current = table.pools[name]
            guard let routes = poolRoutes[name], let first = routes.min(by: { $0.name < $1.name }) else {
                if current != nil { gone.append(name) }  // its last route left
                continue
            }
            let pool = Pool(
                name: name,
                backends: backends(of: name),
                balancing: Pool.Balancing(rawValue: first.balancing) ?? .roundRobin
            )
            if let current, current.balancing == pool.balancing, current.backends == pool.backends { continue }
            changed.append(pool)
        }
        table = table.replacing(
            removing: removed.map(TableSnapshot.rule),
            adding: added.map(TableSnapshot.rule),
            pools: changed,
            removingPools: gone,
            version: version
        )
        (removed, added, touched) = ([], [], [])
    }

    /// A pool's backends: a Service's endpoints, or an app environment's serving instances in
    /// the order of their `host:port` text (as a full build orders them).
    func backends(of pool: String) -> [Backend] {
        if pool.hasPrefix("service/") { return TableBuilder.serviceEndpoints(String(pool.dropFirst(8)), services) }
        let keys = members[pool] ?? []
        var backends: [Backend] = []
        backends.reserveCapacity(keys.count)
        for key in keys {
            if let report = routed[key] { backends.append(Backend(host: report.host, port: report.port)) }
        }
        backends.sort { AddressText($0).precedes(AddressText($1)) }
        return backends
    }
}

extension TableBase.PoolRoute {
    init(key: String, _ route: ParsedRoute) {
        self.init(key: key, name: route.name, balancing: route.spec.balancing ?? "roundRobin")
    }
}

/// Each watched folder's revision (`ZNodeCache.revision`), read before a build reads them.
struct CacheRevisions: Sendable, Equatable {
    var routes: Int
    var apps: Int
    var services: Int
    var supervisors: Int
    var instances: Int

    init(_ agent: RouterAgent) {
        routes = agent.routes.revision
        apps = agent.apps.revision
        services = agent.services.revision
        supervisors = agent.supervisors.revision
        instances = agent.instances.revision
    }

}

/// A full build: the tables and what they were made of.
struct FullBuild: Sendable {
    var external: RoutingTable
    var `internal`: TableSnapshot?
    var graceEnds: ContinuousClock.Instant?
    /// Reports kept only by the grace after their session's end.
    var graced: Int
    /// The reports routed, by key.
    var kept: [(key: String, value: ParsedReport)]
    /// The Routes (valid versions), by key; the Services; the apps served by internal routers only.
    var routes: [(key: String, value: ParsedRoute)]
    var services: [Document]
    var internalApps: Set<String>
    var owners: [String: Int64]
    var maxZxid: Int64
    var revisions: CacheRevisions
}

extension RouterAgent {
    /// The next tables: when only instance reports, Routes, Services and Apps (not whether one
    /// is internal) changed since the last full build (and no report is within its grace, and
    /// there is no internal listener), that build with the pools and rules they touch replaced;
    /// otherwise a full build. The external routing table (the current one when neither the
    /// version nor the caches changed since it was made), the internal snapshot of a full build,
    /// and the caches' revisions both were made at.
    func nextTables() -> (
        external: RoutingTable, internal: TableSnapshot?, graceEnds: ContinuousClock.Instant?,
        revisions: CacheRevisions
    ) {
        let started = ContinuousClock.now
        if internalTables == nil, let (table, revisions) = applyChanges() {
            buildTimers.inPlace.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            return (table, nil, nil, revisions)
        }
        let build = buildSnapshots(withInternal: internalTables != nil)
        fullBuilds.add(1, ordering: .relaxed)
        memory.built(reports: build.kept.count)
        defer { buildTimers.full.recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
        let unchanged =
            build.external.version == tables.current.version && swappedAt.withLock { $0 == build.revisions }
        let table = unchanged ? tables.current : build.external
        // A base exactly when the build made no set of confirmed reports: its routed reports are those.
        base.withLock { base in
            base = internalTables == nil && build.graced == 0 ? TableBase(build, table: table) : nil
        }
        return (table, build.internal, build.graceEnds, build.revisions)
    }

    /// The last full build with the instance reports, Routes, Services and Apps changed since
    /// applied, or nil when that cannot be done in place (no base, a registration changed, an
    /// App became internal or stopped being, more changed than the caches remember, a report
    /// lost its session).
    func applyChanges() -> (RoutingTable, CacheRevisions)? {
        base.withLock { stored -> (RoutingTable, CacheRevisions)? in
            // Moved out, not copied: a copy left in `stored` would make the first change of each
            // of the base's collections copy it whole (50,000 reports' pools and endpoints).
            guard var base = stored.take() else { return nil }
            /// The base is dropped for a full build: the reports it routes are the ones confirmed
            /// (the full build counts the lost grace from them).
            func drop() -> (RoutingTable, CacheRevisions)? {
                confirmation.withLock { $0.confirmed = Set(base.routed.keys) }
                return nil
            }
            // A registration changed: which reports count may have changed with it.
            guard supervisors.revision == base.revisions.supervisors,
                let (keys, revision) = instances.changedKeys(since: base.revisions.instances),
                let (routeKeys, routeRevision) = routes.changedKeys(since: base.revisions.routes),
                let (appKeys, appRevision) = apps.changedKeys(since: base.revisions.apps),
                let (serviceKeys, serviceRevision) = services.changedKeys(since: base.revisions.services)
            else { return drop() }
            // An App changes the table only when it becomes internal or stops being: then the
            // Routes to it count or not, a full build.
            for key in appKeys {
                let app = changed(key, apps, appDocuments, tree.desired(.app), maxZxid: &base.maxZxid)
                let isInternal = app.map { (try? $0.decodeSpec(AppSpec.self))?.internal == true } ?? false
                guard app.map({ $0.name == key }) ?? true, isInternal == base.internalApps.contains(key) else {
                    return drop()
                }
            }
            for key in serviceKeys {
                let service = changed(key, services, serviceDocuments, tree.desired(.service), maxZxid: &base.maxZxid)
                guard service.map({ $0.name == key }) ?? true else { return drop() }  // named apart from its node
                base.service(key, service)
            }
            let applied = confirmation.withLock { seen -> Bool in
                for key in keys {
                    let report = node(key, instances, maxZxid: &base.maxZxid).flatMap {
                        InstanceReports.report($0.data)
                    }
                    var routed: ParsedReport?
                    // Confirmed or not by its place in the base (`routed`).
                    if let report, report.isCurrent(registrationOwner: report.supervisor.flatMap { base.owners[$0] }) {
                        seen.unlose(key)
                        routed = report
                    } else if report != nil, seen.knows(key, routed: base.routed) {
                        return false  // within its grace: the full build decides
                    } else if report == nil {
                        seen.unlose(key)
                    }
                    base.place(key, routed)
                }
                return true
            }
            guard applied else { return drop() }
            for key in routeKeys {
                base.route(key, node(key, routes, maxZxid: &base.maxZxid).flatMap { KeptRoutes.route($0.data) })
            }
            let count = routes.count + apps.count + services.count + supervisors.count + instances.count
            base.commit(version: "\(String(base.maxZxid, radix: 16))-\(count)")
            base.revisions.instances = revision
            base.revisions.routes = routeRevision
            base.revisions.apps = appRevision
            base.revisions.services = serviceRevision
            memory.built(reports: base.routed.count)
            stored = base
            return (base.table, base.revisions)
        }
    }
}

extension RouterAgent {
    /// A changed node's value now, as `parsed` gives it (its last valid version when this one
    /// does not parse; nil when it is gone), with its zxid counted in `maxZxid`.
    func changed<Value>(
        _ key: String,
        _ cache: ZNodeCache,
        _ parsed: ParsedNodes<Value>,
        _ folder: String,
        maxZxid: inout Int64
    ) -> Value? {
        let node = node(key, cache, maxZxid: &maxZxid)
        return parsed.update(key, node: node.map { ($0.stat.mzxid, $0.data) }, failed: unreadable(folder))
    }

    /// A changed node as its cache holds it now (nil: gone), with its zxid counted in `maxZxid`.
    func node(_ key: String, _ cache: ZNodeCache, maxZxid: inout Int64) -> NodeSnapshot? {
        let node = cache.snapshot(key)
        if let node { maxZxid = max(maxZxid, node.stat.mzxid) }
        return node
    }
}

extension Duration {
    /// The whole nanoseconds (a metric's unit).
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

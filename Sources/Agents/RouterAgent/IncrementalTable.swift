import Reconciler
import RouterData
import Synchronization
import ZKModel
import ZooKeeper

/// What the last full build was made of: enough to apply a change of instance reports alone to
/// the table in place (one pool's backends replaced), instead of building everything again.
struct TableBase: Sendable {
    var revisions: CacheRevisions
    var owners: [String: Int64]
    var snapshot: TableSnapshot
    var table: RoutingTable
    /// Where each pool is in `snapshot.pools`.
    var poolIndex: [String: Int]
    /// Each routed instance report: its pool and, when it serves, its `host:port`.
    var contribution: [String: (pool: String, endpoint: String?)]
    /// The serving endpoints of each pool, by report key.
    var members: [String: [String: String]]
    var maxZxid: Int64

    init(_ build: FullBuild, table: RoutingTable) {
        revisions = build.revisions
        owners = build.owners
        snapshot = build.external
        self.table = table
        poolIndex = Dictionary(
            build.external.pools.enumerated().map { ($0.element.name, $0.offset) },
            uniquingKeysWith: { a, _ in a }
        )
        contribution = [:]
        members = [:]
        maxZxid = build.maxZxid
        for (key, report) in build.kept {
            let pool = RouterReport.poolName(app: report.app, environment: report.environment)
            let endpoint = report.serving ? "\(report.host):\(report.port)" : nil
            contribution[key] = (pool, endpoint)
            if let endpoint { members[pool, default: [:]][key] = endpoint }
        }
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

    /// Whether only instance reports changed since `base`.
    func onlyInstancesChanged(since base: CacheRevisions) -> Bool {
        routes == base.routes && apps == base.apps && services == base.services && supervisors == base.supervisors
    }
}

/// A full build: the tables and what they were made of.
struct FullBuild: Sendable {
    var external: TableSnapshot
    var `internal`: TableSnapshot?
    var graceEnds: ContinuousClock.Instant?
    /// Reports kept only by the grace after their session's end.
    var graced: Int
    /// The reports routed, by key.
    var kept: [(key: String, value: InstanceStatus)]
    var owners: [String: Int64]
    var maxZxid: Int64
    var revisions: CacheRevisions
}

extension RouterAgent {
    /// The next tables: when only instance reports changed since the last full build (and no
    /// report is within its grace, and there is no internal listener), that build with their
    /// pools replaced; otherwise a full build. The routing table comes back when it was made in
    /// place (nil: build it from the snapshot if it changed).
    func nextTables() -> (
        external: TableSnapshot, internal: TableSnapshot?, graceEnds: ContinuousClock.Instant?, table: RoutingTable?
    ) {
        if internalTables == nil, let (snapshot, table) = applyInstanceChanges() {
            return (snapshot, nil, nil, table)
        }
        let build = buildSnapshots(withInternal: internalTables != nil)
        let table =
            build.external.version == tables.current.version ? tables.current : build.external.table()
        base.withLock { base in
            base = internalTables == nil && build.graced == 0 ? TableBase(build, table: table) : nil
        }
        return (build.external, build.internal, build.graceEnds, table)
    }

    /// The last full build with the instance reports changed since applied, or nil when that
    /// cannot be done in place (no base, something else changed, a report lost its session).
    func applyInstanceChanges() -> (TableSnapshot, RoutingTable)? {
        base.withLock { stored -> (TableSnapshot, RoutingTable)? in
            guard var base = stored else { return nil }
            let now = CacheRevisions(self)
            guard now.onlyInstancesChanged(since: base.revisions),
                let (keys, revision) = instances.changedKeys(since: base.revisions.instances)
            else {
                stored = nil
                return nil
            }
            var touched: Set<String> = []
            let failed = unreadable(tree.instanceStatus)
            let applied = confirmation.withLock { seen -> Bool in
                for key in keys {
                    let node = instances.snapshot(key)
                    if let node { base.maxZxid = max(base.maxZxid, node.stat.mzxid) }
                    let report = reports.update(key, node: node.map { ($0.stat.mzxid, $0.data) }, failed: failed)
                    var next: (pool: String, endpoint: String?)?
                    if let report {
                        if report.isCurrent(registrationOwner: report.supervisor.flatMap { base.owners[$0] }) {
                            seen[key] = .some(nil)
                            next = (
                                RouterReport.poolName(app: report.app, environment: report.environment),
                                report.serving ? "\(report.host):\(report.port)" : nil
                            )
                        } else if seen[key] != nil {
                            return false  // within its grace: the full build decides
                        }
                    } else {
                        seen[key] = nil
                    }
                    if let old = base.contribution[key] {
                        base.members[old.pool]?[key] = nil
                        touched.insert(old.pool)
                    }
                    base.contribution[key] = next
                    if let next {
                        if let endpoint = next.endpoint { base.members[next.pool, default: [:]][key] = endpoint }
                        touched.insert(next.pool)
                    }
                }
                return true
            }
            guard applied else {
                stored = nil
                return nil
            }
            let count = routes.count + apps.count + services.count + supervisors.count + instances.count
            base.snapshot.version = "\(String(base.maxZxid, radix: 16))-\(count)"
            var pools: [Pool] = []
            for name in touched {
                guard let index = base.poolIndex[name] else { continue }  // no route leads there
                let backends = (base.members[name].map { Array($0.values) } ?? []).sorted()
                base.snapshot.pools[index].backends = backends
                pools.append(TableSnapshot.pool(base.snapshot.pools[index]))
            }
            base.table = base.table.replacingPools(pools, version: base.snapshot.version)
            base.revisions.instances = revision
            stored = base
            return (base.snapshot, base.table)
        }
    }
}

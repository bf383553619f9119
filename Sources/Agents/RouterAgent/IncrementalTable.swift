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
        for (key, report) in build.kept { _ = place(key, Self.contribution(report.status)) }
    }

    /// A routed report's pool and, when it serves, its `host:port`.
    static func contribution(_ report: InstanceStatus) -> (pool: String, endpoint: String?) {
        (
            RouterReport.poolName(app: report.app, environment: report.environment),
            report.serving ? "\(report.host):\(report.port)" : nil
        )
    }

    /// Puts report `key` in its pool (`next` nil: in none); returns the pools it left or joined.
    mutating func place(_ key: String, _ next: (pool: String, endpoint: String?)?) -> [String] {
        var touched: [String] = []
        if let old = contribution[key] {
            members[old.pool]?[key] = nil
            touched.append(old.pool)
        }
        contribution[key] = next
        if let next {
            if let endpoint = next.endpoint { members[next.pool, default: [:]][key] = endpoint }
            touched.append(next.pool)
        }
        return touched
    }

    /// The snapshot and table with `touched` pools' backends as their members now, at `version`.
    mutating func refresh(_ touched: Set<String>, version: String) {
        snapshot.version = version
        var pools: [Pool] = []
        for name in touched {
            guard let index = poolIndex[name] else { continue }  // no route leads there
            snapshot.pools[index].backends = (members[name].map { Array($0.values) } ?? []).sorted()
            pools.append(TableSnapshot.pool(snapshot.pools[index]))
        }
        table = table.replacingPools(pools, version: version)
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
    var kept: [(key: String, value: ParsedReport)]
    var owners: [String: Int64]
    var maxZxid: Int64
    var revisions: CacheRevisions
}

extension RouterAgent {
    /// The next tables: when only instance reports changed since the last full build (and no
    /// report is within its grace, and there is no internal listener), that build with their
    /// pools replaced; otherwise a full build. With the routing table of the external snapshot
    /// (the current one when its version did not change).
    func nextTables() -> (
        external: TableSnapshot, internal: TableSnapshot?, graceEnds: ContinuousClock.Instant?, table: RoutingTable
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
                    let report = reports.update(key, node: node.map { ($0.stat.mzxid, $0.data) }, failed: failed)?
                        .status
                    var routed: InstanceStatus?
                    if let report, report.isCurrent(registrationOwner: report.supervisor.flatMap { base.owners[$0] }) {
                        seen[key] = .some(nil)
                        routed = report
                    } else if report != nil, seen[key] != nil {
                        return false  // within its grace: the full build decides
                    } else if report == nil {
                        seen[key] = nil
                    }
                    touched.formUnion(base.place(key, routed.map(TableBase.contribution)))
                }
                return true
            }
            guard applied else {
                stored = nil
                return nil
            }
            let count = routes.count + apps.count + services.count + supervisors.count + instances.count
            base.refresh(touched, version: "\(String(base.maxZxid, radix: 16))-\(count)")
            base.revisions.instances = revision
            stored = base
            return (base.snapshot, base.table)
        }
    }
}

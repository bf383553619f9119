import Foundation
public import Logging
import Metrics
import ProcessMemory
public import Reconciler
public import RouterData
import RouterProxy
import ServiceLifecycle
import Synchronization
public import ZKModel
public import ZooKeeper

/// Feeds a router's table from ZooKeeper: Routes, Services and instance reports are watched,
/// every change rebuilds the table (changes coalesce in the work queue), the new table is swapped
/// in atomically, saved to disk, and the version served is reported in an ephemeral znode.
public final class RouterAgent: Reconciler, Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    public let tables: TableSource
    public let id: String
    public let address: String
    public let zone: String?
    /// The internal listener's table and address (app-to-app calls of this zone), if it has one.
    public let internalTables: TableSource?
    public let internalAddress: String?
    public let statePath: String?
    let logger: Logger
    let routes: ZNodeCache
    let services: ZNodeCache
    let instances: ZNodeCache
    /// Supervisors' registrations: an instance report counts only from its supervisor's live session.
    let supervisors: ZNodeCache
    /// Apps: those marked `internal` are left out of the external table.
    let apps: ZNodeCache
    let appDocuments = ParsedNodes(parse: RouterAgent.document)
    /// What the Routes' cache keeps of each Route, and the Routes that do not decode.
    let keptRoutes: PackedVersions
    let serviceDocuments = ParsedNodes(parse: RouterAgent.document)
    /// How long a report this router has seen confirmed by its supervisor's live session is still
    /// routed once that session is gone (a supervisor frozen or cut off past its session's expiry:
    /// its containers still answer). A report it never saw confirmed (one left by an earlier run)
    /// is never routed.
    public let lostGrace: Duration
    /// Up to this many pools' digests go in the report; beyond, in shard nodes.
    public let inlinePools: Int
    /// Which instance reports the last table build found confirmed, and since when each one
    /// once confirmed is not.
    let confirmation = Mutex(Confirmations())
    /// The nodes this router's current session has written (its report, its pool shards): any
    /// other of those paths may still hold a node of an earlier session, to replace, not write into.
    let ownNodes = Mutex<(session: Int64, paths: Set<String>)>((0, []))
    /// What the instances' cache keeps of each report, and the reports that do not parse.
    let reports: PackedVersions
    let memory = RebuildMemory()
    /// The last full build, for changes of instance reports, Routes, Services and Apps applied
    /// in place.
    let base = Mutex<TableBase?>(nil)
    /// How many tables were built whole (the others were changed in place).
    let fullBuilds = Atomic<Int>(0)
    /// The caches' revisions the tables served were made at (nil: none made by this agent yet).
    /// Tables made at other revisions are swapped in even when their version reads the same: a
    /// version (the newest zxid and the count of nodes) repeats when a report created before
    /// another's change is read after it and a deletion is applied with it.
    let swappedAt = Mutex<CacheRevisions?>(nil)
    /// How long making the next table takes, built whole or changed in place (`/metrics`).
    let buildTimers = (
        full: Timer(label: "atlantis_router_table_build_seconds", dimensions: [("kind", "full")]),
        inPlace: Timer(label: "atlantis_router_table_build_seconds", dimensions: [("kind", "in_place")])
    )

    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        tables: TableSource,
        id: String,
        address: String,
        statePath: String?,
        zone: String? = nil,
        internalTables: TableSource? = nil,
        internalAddress: String? = nil,
        lostGrace: Duration = .seconds(20),
        inlinePools: Int = RouterReport.inlinePools,
        logger: Logger = Logger(label: "atlantis.router.agent"),
        afterReportRead: @escaping @Sendable (_ key: String, _ data: [UInt8]) async -> Void = { _, _ in }
    ) {
        self.lostGrace = lostGrace
        self.inlinePools = inlinePools
        self.zone = zone
        self.internalTables = internalTables
        self.internalAddress = internalAddress
        self.zk = zk
        self.tree = tree
        self.tables = tables
        self.id = id
        self.address = address
        self.statePath = statePath
        self.logger = logger
        // Change logs let a change of reports, Routes, Services or Apps be applied in place
        // (`applyChanges`).
        let keptRoutes = KeptRoutes.versions(folder: tree.desired(.route), logger: logger)
        self.keptRoutes = keptRoutes
        routes = ZNodeCache(
            zk: zk,
            folder: tree.desired(.route),
            changeLogLength: 1024,
            keep: { key, node, stored in keptRoutes.keep(key, node, stored: stored) },
            packedStat: PackedVersions.stat(of:)
        )
        services = ZNodeCache(zk: zk, folder: tree.desired(.service), changeLogLength: 256)
        // What routing reads of each report, compact: its JSON is parsed as it is read.
        let reports = InstanceReports.versions(folder: tree.instanceStatus, logger: logger)
        self.reports = reports
        instances = ZNodeCache(
            zk: zk,
            folder: tree.instanceStatus,
            changeLogLength: 8192,
            afterRead: afterReportRead,
            keep: { key, node, stored in reports.keep(key, node, stored: stored) },
            packedStat: PackedVersions.stat(of:)
        )
        supervisors = ZNodeCache(zk: zk, folder: tree.supervisors)
        apps = ZNodeCache(zk: zk, folder: tree.desired(.app), changeLogLength: 256)
    }

    /// Watches and rebuilds until cancelled.
    public func run() async throws {
        let controller = Controller(
            name: "router",
            reconciler: self,
            sources: [MergedKeySource([routes, services, instances, supervisors, apps], key: "table")],
            informers: [routes, services, instances, supervisors, apps],
            configuration: .init(
                workers: 1,
                resyncEvery: .seconds(60),
                backoff: Backoff(base: .milliseconds(100), cap: .seconds(10))
            )
        )
        guard let statePath else {
            try await controller.run()  // until a graceful shutdown or a cancel
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.saveTables(to: statePath) }
            defer { memory.finishSaving() }
            try await controller.run()
        }
    }

    /// Writes the last table to disk, at most once a second, off the rebuild's path (and hands
    /// the memory a large full build freed back to the system); the last one once the router
    /// stops.
    func saveTables(to path: String) async {
        var last: ContinuousClock.Instant?
        func save() {
            guard let table = memory.takePending() else { return }
            do {
                try TableSnapshot(table).save(to: path)
            } catch {
                logger.warning("router.table_not_saved", metadata: ["path": "\(path)", "error": "\(error)"])
            }
            // Off the rebuild's path, after a large full build: the allocator keeps what the
            // build freed unless asked (glibc's `malloc_trim`).
            if memory.takeTrim() { GlibcMalloc.trim() }
            last = .now
        }
        for await _ in memory.saveRequests {
            if let last { try? await Task.sleep(until: last + RebuildMemory.saveInterval) }
            save()
        }
        save()
    }

    public func reconcile(key: String) async throws -> ReconcileResult {
        let (table, internalSnapshot, graceEnds, revisions) = nextTables()
        let fresh = swappedAt.withLock { $0 != revisions }
        if let internalTables, let internalSnapshot,
            fresh || internalSnapshot.version != internalTables.current.version
                || internalSnapshot.rules.count != internalTables.current.ruleCount
        {
            internalTables.replace(with: internalSnapshot.table())
            logger.info(
                "router.internal_table_swapped",
                metadata: [
                    "table.version": "\(internalSnapshot.version)", "table.rules": "\(internalSnapshot.rules.count)",
                ]
            )
        }
        let swapped = fresh || table.version != tables.current.version
        if swapped {
            tables.replace(with: table)
            swappedAt.withLock { $0 = revisions }
            logger.info(
                "router.table_swapped",
                metadata: ["table.version": "\(table.version)", "table.rules": "\(table.ruleCount)"]
            )
        }
        let pools = memory.digests(table)
        let problems = unreadableNodes()
        var reportFailure: (any Error)?
        var reportLater: Duration?
        do {
            // Beyond `inlinePools`, the digests go to shard nodes first, then the report says so.
            let sharded = pools.count > inlinePools
            if sharded { try await writeShards(pools) }
            var body = RouterReport(
                address: address,
                tableVersion: table.version,
                pools: sharded ? nil : pools.mapValues(RouterReport.digestText),
                zone: zone,
                internal: internalAddress,
                unreadable: problems.isEmpty ? nil : problems
            )
            body.poolShards = sharded ? RouterReport.shardCount : nil
            body.poolCount = pools.count
            reportLater = try await report(body)
        } catch {
            reportFailure = error
        }
        // Saved by `saveTables`, off this path (at 10,000 routes writing the file takes longer
        // than the swap, and a deploy waits for the report, not for the file), and whether or
        // not the report could be written: a retry finds the table already swapped.
        if swapped, statePath != nil { memory.toSave(table) }
        // Reports kept past their session's end leave the table when their grace ends.
        let wake = [graceEnds.map { max($0 - .now, .milliseconds(10)) }, reportLater].compactMap { $0 }.min()
        if let reportFailure { throw reportFailure }
        return wake.map { .requeue(after: $0) } ?? .done
    }

    func buildSnapshot() -> TableSnapshot { TableSnapshot(buildSnapshots(withInternal: false).external) }

    /// The external table and (for a router with an internal listener) the internal one, from
    /// the same reading of the caches, and when the first report kept only by `lostGrace` must
    /// leave them.
    func buildSnapshots(withInternal: Bool) -> FullBuild {
        let revisions = CacheRevisions(self)
        var maxZxid: Int64 = 0
        var count = 0
        func nodes(_ cache: ZNodeCache) -> [(key: String, mzxid: Int64, data: [UInt8])] {
            cache.allKeys().compactMap { key in
                guard let node = cache.snapshot(key) else { return nil }
                maxZxid = max(maxZxid, node.stat.mzxid)
                count += 1
                return (key, node.stat.mzxid, node.data)
            }
        }
        let keyedRoutes: [(key: String, value: ParsedRoute)] = nodes(routes).compactMap { key, _, data in
            KeptRoutes.route(data).map { (key, $0) }
        }
        let internalApps = Set(
            appDocuments.values(nodes(apps), failed: unreadable(tree.desired(.app))).filter {
                (try? $0.decodeSpec(AppSpec.self))?.internal == true
            }.map(\.name)
        )
        let serviceDocs = serviceDocuments.values(nodes(services), failed: unreadable(tree.desired(.service)))
        var owners: [String: Int64] = [:]
        for key in supervisors.allKeys() {
            guard let node = supervisors.snapshot(key) else { continue }
            owners[key] = node.stat.ephemeralOwner
            maxZxid = max(maxZxid, node.stat.mzxid)
            count += 1
        }
        let keyed: [(key: String, value: ParsedReport)] = nodes(instances).compactMap { key, _, data in
            InstanceReports.report(data).map { (key, $0) }
        }
        let now = ContinuousClock.now
        var graced = 0
        var graceEnds: ContinuousClock.Instant?
        let routed = base.withLock { $0?.routed }  // the last build's confirmed reports, if a base holds them
        let kept: [(key: String, value: ParsedReport)] = confirmation.withLock { seen in
            var next = Confirmations()
            var kept: [(key: String, value: ParsedReport)] = []
            kept.reserveCapacity(keyed.count)
            for (key, report) in keyed {
                if report.isCurrent(registrationOwner: report.supervisor.flatMap { owners[$0] }) {
                    kept.append((key, report))
                } else if let since = seen.lostSince(key, now: now, routed: routed) {
                    // Confirmed at the last build (lost now), or lost since then.
                    guard now - since < lostGrace else { continue }
                    next.lost[key] = since
                    kept.append((key, report))
                    graced += 1
                    graceEnds = min(graceEnds ?? since + lostGrace, since + lostGrace)
                }
            }
            // The confirmed reports are the kept ones not lost. A table base made of this build
            // holds them (its routed reports); a set of them is made only when none will be: an
            // internal listener, or reports within their grace (`nextTables`).
            if withInternal || graced > 0 {
                next.confirmed = Set(kept.lazy.filter { next.lost[$0.key] == nil }.map(\.key))
            }
            seen = next
            return kept
        }
        let instanceReports = kept.lazy.map(\.value)
        // Deletions lower the count without raising a zxid, and a grace's end changes neither:
        // all three make the version.
        let version = "\(String(maxZxid, radix: 16))-\(count)" + (graced > 0 ? "-g\(graced)" : "")
        let external = TableBuilder.table(
            routes: keyedRoutes.map(\.value),
            services: serviceDocs,
            instances: instanceReports,
            version: version,
            internalApps: internalApps
        )
        let internalSnapshot =
            withInternal ? TableBuilder.internalSnapshot(instances: instanceReports, version: version) : nil
        return FullBuild(
            external: external,
            internal: internalSnapshot,
            graceEnds: graceEnds,
            graced: graced,
            kept: kept,
            routes: keyedRoutes,
            services: serviceDocs,
            internalApps: internalApps,
            owners: owners,
            maxZxid: maxZxid,
            revisions: revisions
        )
    }

    /// An instance report's routing fields, from its JSON (made compact).
    @Sendable static func report(_ data: [UInt8]) throws -> ParsedReport {
        try ParsedReport(try Payload.decode(InstanceStatus.self, from: data, path: "instance status"))
    }

    /// A valid Route, decoded, or the error that says why not.
    @Sendable static func route(_ data: [UInt8]) throws -> ParsedRoute {
        try ParsedRoute(document(data))
    }

    /// A valid document, or the error that says why not.
    @Sendable static func document(_ data: [UInt8]) throws -> Document {
        let value = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        return try DocumentValidator().validate(value).get()
    }

    /// Says (a warning) that a node's new version does not parse, and what is served instead.
    func unreadable(_ folder: String) -> (UnreadableNode) -> Void {
        { [logger] node in node.warn(in: folder, logger: logger) }
    }

    /// Every watched node whose newest version does not parse (`<kind>/<name>` → why): the
    /// router's report carries it, so it is seen without reading the router's log.
    func unreadableNodes() -> [String: String] {
        var out: [String: String] = [:]
        for (key, error) in keptRoutes.unreadable(present: { routes.snapshot($0) != nil }) {
            out["routes/\(key)"] = error
        }
        for (kind, parsed) in [("apps", appDocuments), ("services", serviceDocuments)] {
            for (key, error) in parsed.unreadable() { out["\(kind)/\(key)"] = error }
        }
        for (key, error) in reports.unreadable(present: { instances.snapshot($0) != nil }) {
            out["instances/\(key)"] = error
        }
        return out
    }

    /// Writes the shard nodes whose digests changed (`agents/router-pools/<id>-<n>`).
    func writeShards(_ pools: [String: UInt64]) async throws {
        var shards: [Int: [String: UInt64]] = [:]
        for n in 0..<RouterReport.shardCount { shards[n] = [:] }
        for (pool, digest) in pools {
            shards[RouterReport.shard(of: pool, count: RouterReport.shardCount)]?[pool] = digest
        }
        let session = zk.sessionID
        let changed = memory.changedShards(shards, session: session)
        if !changed.isEmpty { try await zk.ensurePath(tree.routerPools) }
        for n in changed {
            let digests = shards[n] ?? [:]
            let body = try Payload.encode(
                RouterPoolShard(router: id, shard: n, pools: digests.mapValues(RouterReport.digestText))
            )
            try await writeOwnNode(tree.routerPools(id, shard: n), data: body, session: session)
            memory.wroteShard(n, digests, session: session)
        }
    }

    /// `<root>/agents/routers/<id>`: which table this router serves (ephemeral). Writes it unless
    /// it is unchanged; returns how long to wait before writing it when a large report was
    /// written less than 100 ms ago.
    @discardableResult
    func report(_ report: RouterReport) async throws -> Duration? {
        let body = try Payload.encode(report)
        let session = zk.sessionID
        guard memory.reportChanged(body, session: session) else { return nil }
        if let wait = memory.reportThrottle(body) { return wait }
        try await writeOwnNode(tree.router(id), data: body, session: session)
        memory.reported(body, session: session)
        return nil
    }

    /// Writes an ephemeral node of this router. The first write of a path in a session replaces a
    /// node left there by its previous process (its session not yet expired) rather than writing
    /// into it: that node would vanish with the old session.
    func writeOwnNode(_ path: String, data: [UInt8], session: Int64) async throws {
        let known = ownNodes.withLock { own in
            if own.session != session { own = (session, []) }
            return own.paths.contains(path)
        }
        if !known, let stat = try await zk.exists(path), stat.ephemeralOwner != session {
            try? await zk.delete(path, version: stat.version)
        }
        try await zk.upsert(
            path,
            data: data,
            mode: .ephemeral,
            acl: zk.configuration.credentials.isEmpty ? ACL.openUnsafe : ACL.creatorAllAnyoneRead
        )
        ownNodes.withLock { own in
            if own.session == session { own.paths.insert(path) }
        }
    }
}

import Foundation
public import Logging
import ProcessMemory
import Reconciler
import Synchronization
public import ZKModel
public import ZooKeeper

/// The manager's live view for the dashboard: a watched copy of the folders the pages show
/// (one `ZNodeCache` each), decoded into a `ClusterModel` and rendered into a `RowStore`.
/// Changes are coalesced for `coalesce` (one event per burst), then every page stream is
/// woken; each sends only the rows of its page that changed. It reads; it never writes.
///
/// It starts watching when the dashboard is asked for (`demand`), not when the manager starts,
/// and stops once nobody has asked for `idleAfter` and no page stream is open: a manager whose
/// dashboard nobody looks at holds no copy of the status folders (one node per instance status,
/// router report and build: ~135 MiB at 50,000 instances) and reads none of their changes
/// (under route churn, each router's report after every change).
public final class DashboardHub: Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    public let store = RowStore()
    /// Tells one manager's event ids from another's (a stream resumed elsewhere reloads).
    public let epoch: String
    let logger: Logger
    let coalesce: Duration
    /// How long the view is kept with no dashboard request and no page stream open.
    public let idleAfter: Duration
    public let hosts: String

    enum Folder: Int, CaseIterable, Sendable {
        case apps, teams, deploys, routes, deployStatus, pointers, instances, supervisors, routers, builds, buildStatus
    }

    /// When the view started (nil: not running, or stopping), the last request for it, and the
    /// latch that opens once it holds its first reading.
    private struct Demand {
        var started: ContinuousClock.Instant?
        var last: ContinuousClock.Instant = .now
        var syncedLatch = SyncLatch()
    }

    let folders: [Folder: String]
    /// The running view's caches, made anew each time it starts (nil: stopped). Each arms its
    /// own node watches and forgets those left armed when it stops.
    private let caches = Mutex<[Folder: ZNodeCache]?>(nil)
    private let model = Mutex(ClusterModel())
    private let dirty = Mutex<[Folder: Set<String>]>([:])
    private let zookeeper: Mutex<ZooKeeperState>
    private let interest = Mutex<Set<String>>([])
    private let subscribers = Mutex<[Int: AsyncStream<Int>.Continuation]>([:])
    private let nextSubscriber = Atomic<Int>(0)
    private let starts: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    private let synced = Atomic<Bool>(false)
    private let demanded = Mutex(Demand())
    /// The model changed since the rows were last rendered (nobody was watching: rows are
    /// rendered when a page or a stream asks, not at every change).
    private let needsRender = Atomic<Bool>(false)
    /// One render at a time, so an older model never replaces a newer one's rows.
    private let renderLock = Mutex<Void>(())

    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        hosts: String = "",
        coalesce: Duration = .milliseconds(100),
        idleAfter: Duration = .seconds(600),
        logger: Logger = Logger(label: "atlantis.dashboard")
    ) {
        self.zk = zk
        self.tree = tree
        self.hosts = hosts
        self.coalesce = coalesce
        self.idleAfter = idleAfter
        self.logger = logger
        self.epoch = String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36)
        self.zookeeper = Mutex(.connected(hosts: hosts))
        starts = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        folders = [
            .apps: tree.desired(.app), .teams: tree.desired(.team), .deploys: tree.desired(.deploy),
            .routes: tree.desired(.route), .deployStatus: tree.status(.deploy), .pointers: tree.releases,
            .instances: tree.instanceStatus, .supervisors: tree.supervisors, .routers: tree.routers,
            .builds: tree.builds, .buildStatus: tree.buildStatus,
        ]
    }

    /// The model as it stands (for a page's render).
    public var snapshot: ClusterModel { model.withLock { $0 } }
    public var zookeeperState: ZooKeeperState { zookeeper.withLock { $0 } }
    /// Whether every folder has been read once.
    public var isSynced: Bool { synced.load(ordering: .acquiring) }

    /// Whether the view runs (asked for, and not idle since).
    public var isDemanded: Bool { demanded.withLock { $0.started != nil } }

    /// Whether the view's folders are being watched (from its start until it has stopped).
    public var isWatching: Bool { caches.withLock { $0 != nil } }

    /// Starts the view if it is not running, and waits until the model holds the first reading
    /// of every folder, until `limit` after the view started at most (ZooKeeper out of reach:
    /// that page, and every one after it, shows what there is and says that ZooKeeper is
    /// unreachable, without waiting again).
    public func demand(waiting limit: Duration = .seconds(5)) async {
        let now = ContinuousClock.now
        let (deadline, latch, starting) = demanded.withLock { d in
            d.last = now
            let starting = d.started == nil
            if starting { d.started = now }
            return (d.started! + limit, d.syncedLatch, starting)
        }
        if starting { starts.continuation.yield() }
        guard !latch.isOpen, deadline > now else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await latch.wait() }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Keeps the view until cancelled: from each `demand` that finds it stopped until it is idle.
    public func run() async {
        for await _ in starts.stream {
            guard !Task.isCancelled else { break }
            await watch()
            stopped()
        }
        let all = subscribers.withLock { s in
            defer { s = [:] }
            return Array(s.values)
        }
        for continuation in all { continuation.finish() }
    }

    /// Watches until the view is idle or cancelled.
    private func watch() async {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let caches = Dictionary(
            uniqueKeysWithValues: folders.map { folder, path in
                (folder, ZNodeCache(zk: zk, folder: path, logger: logger))
            }
        )
        self.caches.withLock { $0 = caches }
        let latch = demanded.withLock { $0.syncedLatch }
        logger.info("dashboard.view_started")
        await withTaskGroup(of: Void.self) { group in
            for (folder, cache) in caches {
                group.addTask { await cache.run() }
                group.addTask {
                    for await key in cache.changes() {
                        self.dirty.withLock { _ = $0[folder, default: []].insert(key) }
                        wake.yield()
                    }
                }
            }
            group.addTask { await self.watchConnection() }
            group.addTask {
                for cache in caches.values { try? await cache.waitUntilSynced() }
                for folder in Folder.allCases {
                    let keys = Set(caches[folder]?.allKeys() ?? [])
                    self.dirty.withLock { $0[folder, default: []].formUnion(keys) }
                }
                self.synced.store(true, ordering: .releasing)
                wake.yield()
            }
            group.addTask { await self.renderLoop(wakes, caches: caches, latch: latch) }
            await stopWhenIdle()
            group.cancelAll()
        }
        wake.finish()
    }

    /// Returns once nobody has asked for the view for `idleAfter` and no page stream is open
    /// (or when cancelled). Decided under the lock `demand` takes: a request that comes after
    /// it starts the view again (once this one has stopped) and waits for that one's reading.
    private func stopWhenIdle() async {
        let every = min(idleAfter / 4, .seconds(15))
        while !Task.isCancelled {
            try? await Task.sleep(for: every)
            let streaming = subscribers.withLock { !$0.isEmpty }
            let idle = demanded.withLock { d -> Bool in
                guard !streaming, ContinuousClock.now - d.last >= idleAfter else { return false }
                d.started = nil
                d.syncedLatch = SyncLatch()
                return true
            }
            if idle { return }
        }
    }

    /// Drops what the view held: its caches, the model, the rows.
    private func stopped() {
        caches.withLock { $0 = nil }
        synced.store(false, ordering: .releasing)
        model.withLock { $0 = ClusterModel() }
        dirty.withLock { $0 = [:] }
        interest.withLock { $0 = [] }
        needsRender.store(false, ordering: .sequentiallyConsistent)
        renderLock.withLock { _ in store.clear() }
        // Freed, the view's ~100 MiB at 50,000 instances stays with the allocator (pieces
        // between what the manager keeps) unless handed back.
        GlibcMalloc.trim()
        logger.info("dashboard.view_stopped", metadata: ["idle": "\(idleAfter)"])
    }

    /// Every change of the row store's sequence number, until the hub stops or the stream is dropped.
    public func subscribe() -> AsyncStream<Int> {
        let id = nextSubscriber.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        refresh()
        return stream
    }

    /// Brings the rows up to the model (a page calls it before it reads the store).
    public func refresh() {
        if needsRender.exchange(false, ordering: .sequentiallyConsistent) { rerender() }
    }

    /// Asks for a Deploy's release history to be kept (a page shows it).
    public func watchReleases(of deploy: String) async {
        let added = interest.withLock { $0.insert(deploy).inserted }
        guard added else { return }
        await loadReleases(deploy)
        rerender()
    }

    private func renderLoop(_ wakes: AsyncStream<Void>, caches: [Folder: ZNodeCache], latch: SyncLatch) async {
        for await _ in wakes {
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: coalesce)
            guard isSynced, !Task.isCancelled else { continue }
            let changed = dirty.withLock { d in
                defer { d = [:] }
                return d
            }
            await update(changed, caches: caches)
            // Set before the look at the subscribers: one that comes meanwhile renders itself.
            needsRender.store(true, ordering: .sequentiallyConsistent)
            latch.open()  // the model holds the first reading of every folder
            if subscribers.withLock({ !$0.isEmpty }) { refresh() }
        }
    }

    private func rerender() {
        let seq = renderLock.withLock { _ -> Int? in
            let rows = RowRenderer.rows(model.withLock { $0 }, zookeeper: zookeeper.withLock { $0 })
            return store.replace(rows)
        }
        guard let seq else { return }
        let all = subscribers.withLock { Array($0.values) }
        for continuation in all { continuation.yield(seq) }
    }

    /// Decodes the changed nodes into the model (an unreadable one is left out, and logged).
    private func update(_ changed: [Folder: Set<String>], caches: [Folder: ZNodeCache]) async {
        var reload: [String] = []
        for (folder, keys) in changed {
            guard let cache = caches[folder] else { continue }
            for key in keys {
                let snapshot = cache.snapshot(key)
                let path = ZNodeTree.child(key, of: cache.folder)
                let decoded = model.withLock { m in apply(folder, key: key, snapshot: snapshot, path: path, into: &m) }
                if snapshot != nil, !decoded { logger.warning("dashboard.unreadable", metadata: ["path": "\(path)"]) }
                if folder == .pointers, interest.withLock({ $0.contains(key) }) { reload.append(key) }
            }
        }
        for deploy in reload { await loadReleases(deploy) }
    }

    /// Returns whether the node decoded (a node that is there and does not is left out).
    private func apply(
        _ folder: Folder,
        key: String,
        snapshot: NodeSnapshot?,
        path: String,
        into m: inout ClusterModel
    ) -> Bool {
        func decode<T: Decodable>(_ type: T.Type) -> T? {
            guard let snapshot else { return nil }
            return try? Payload.decode(T.self, from: snapshot.data, path: path)
        }
        func document() -> Document? {
            guard let snapshot, let value = try? JSONValue.parse(String(decoding: snapshot.data, as: UTF8.self)) else {
                return nil
            }
            return try? DocumentValidator().validate(value).get()
        }
        switch folder {
        case .apps:
            m.apps[key] = try? document()?.decodeSpec(AppSpec.self)
            return m.apps[key] != nil
        case .teams:
            m.teams[key] = try? document()?.decodeSpec(TeamSpec.self)
            return m.teams[key] != nil
        case .routes:
            m.routes[key] = try? document()?.decodeSpec(RouteSpec.self)
            return m.routes[key] != nil
        case .deploys:
            let document = document()
            let spec = try? document?.decodeSpec(DeploySpec.self)
            m.deploys[key] = spec.map { .init(name: key, spec: $0, generation: document?.metadata.generation ?? 1) }
            return m.deploys[key] != nil
        case .deployStatus:
            m.deployStatus[key] = decode(ObjectStatus.self)
            return m.deployStatus[key] != nil
        case .pointers:
            m.pointers[key] = decode(ReleasePointer.self)
            return m.pointers[key] != nil
        case .instances:
            m.instances[key] = decode(InstanceStatus.self)
            return m.instances[key] != nil
        case .supervisors:
            m.supervisors[key] = decode(SupervisorRegistration.self).map {
                .init(registration: $0, owner: snapshot?.stat.ephemeralOwner ?? 0)
            }
            return m.supervisors[key] != nil
        case .routers:
            m.routers[key] = decode(RouterReport.self)
            return m.routers[key] != nil
        case .builds:
            m.builds[key] = decode(BuildRequest.self)
            return m.builds[key] != nil
        case .buildStatus:
            m.buildStatus[key] = decode(BuildStatus.self)
            return m.buildStatus[key] != nil
        }
    }

    /// Reads a Deploy's releases (each written once; only new ones are read again).
    private func loadReleases(_ deploy: String) async {
        let folder = tree.releases(deploy: deploy)
        guard let names = try? await zk.children(folder) else { return }
        let known = Set(model.withLock { $0.releases[deploy] ?? [] }.map { Release.name($0.number) })
        var loaded: [Release] = []
        for name in names.sorted() where !known.contains(name) {
            let path = ZNodeTree.child(name, of: folder)
            guard let (data, _) = try? await zk.getData(path),
                let release = try? Payload.decode(Release.self, from: data, path: path)
            else { continue }
            loaded.append(release)
        }
        let present = Set(names)
        model.withLock { m in
            var all = (m.releases[deploy] ?? []).filter { present.contains(Release.name($0.number)) } + loaded
            all.sort { $0.number > $1.number }
            m.releases[deploy] = all
        }
    }

    /// Notes when the manager loses ZooKeeper and when it is back (checked every 250 ms).
    private func watchConnection() async {
        var connected = true
        while !Task.isCancelled {
            let now = zk.isConnected
            if now != connected {
                connected = now
                let state: ZooKeeperState =
                    now ? .connected(hosts: hosts) : .disconnected(since: Timestamp.string(Date()))
                zookeeper.withLock { $0 = state }
                logger.log(level: now ? .info : .warning, "dashboard.zookeeper", metadata: ["connected": "\(now)"])
                rerender()
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

import Foundation
public import Logging
import NIOCore
import NIOPosix
import ProcessMemory
import RouterData
public import RouterProxy
public import ServiceLifecycle
public import ZKModel
public import ZooKeeper

/// A whole router as one service: the last good table from disk, the proxy and admin listeners,
/// and the ZooKeeper feed, reconnected for as long as it runs. While ZooKeeper is unreachable
/// (also right after a restart) it serves the table it has. On graceful shutdown the feed stops
/// and the listeners close.
public struct RouterService: Service {
    public struct Configuration: Sendable {
        public var id: String
        public var listen: (host: String, port: Int)
        public var admin: (host: String, port: Int)
        /// Folder for the last good table (`table.json`).
        public var stateDirectory: String
        public var proxy: ProxyConfiguration
        public var threads: Int
        public var scheduling: LoopScheduling
        public var zooKeeper: ZooKeeperConfiguration
        public var tree: ZNodeTree
        /// The zone this router serves, reported with its table.
        public var zone: String?
        /// Where the internal listener serves app-to-app calls (`<app>.<env>.internal`), only to
        /// the containers that declare them; nil: none. An address the containers reach (the
        /// Docker bridge's gateway), never a public one.
        public var internalListen: (host: String, port: Int)?
        /// How long instances confirmed by a supervisor stay routed once its session is gone
        /// (`RouterAgent.lostGrace`).
        public var lostGrace: Duration = .seconds(20)
        /// The nice value of every thread but the event loops (`ControlPlanePriority`): a change
        /// read, built and reported waits for busy loops instead of preempting them. 0: as they are.
        public var controlNice: Int32 = 5
        /// The scheduling policy of the same threads (`ControlPlanePriority`): batch, a woken
        /// one waits for a busy loop's slice instead of preempting it.
        public var controlScheduling = LoopScheduling.batch
        /// How many allocator arenas the router's threads share (`RouterService.arenaLimit`: one
        /// per core); 0: glibc's default (one per thread, up to eight per core).
        public var mallocArenas = RouterService.arenaLimit
        /// Each event loop pinned to one of the CPUs the process may use, in turn (`LoopPinning`);
        /// false: the kernel places them.
        public var pinLoops = false
        /// What runs the proxy's sockets: the router's own epoll loops or NIO's event loops.
        public var engine = ProxyEngine.epoll

        public init(
            id: String,
            listen: (host: String, port: Int),
            admin: (host: String, port: Int),
            stateDirectory: String,
            proxy: ProxyConfiguration,
            threads: Int,
            scheduling: LoopScheduling,
            zooKeeper: ZooKeeperConfiguration,
            tree: ZNodeTree,
            zone: String? = nil
        ) {
            self.zone = zone
            self.id = id
            self.listen = listen
            self.admin = admin
            self.stateDirectory = stateDirectory
            self.proxy = proxy
            self.threads = threads
            self.scheduling = scheduling
            self.zooKeeper = zooKeeper
            self.tree = tree
        }

        var address: String { "\(listen.host):\(listen.port)" }
        var statePath: String { "\(stateDirectory)/table.json" }
    }

    let configuration: Configuration
    let metrics: @Sendable () -> String
    let logger: Logger

    /// `metrics` renders /metrics (the process's metrics backend is the executable's to choose).
    public init(
        configuration: Configuration,
        metrics: @escaping @Sendable () -> String,
        logger: Logger = Logger(label: "atlantis.router")
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Allocations of this many bytes or more that the heap cannot serve get pages of their own,
    /// and glibc no longer raises the threshold (`GlibcMalloc`): at 50,000
    /// instance reports, after the tables were built again and again as they came in, the
    /// router's heap was 13–19 MiB smaller; a change applied in place took ~1 ms more (its
    /// arrays of 10,000 rules or pools are mapped and unmapped). bench/RESULTS.md.
    static let mmapThreshold = 256 * 1024

    /// The allocator's arenas, set before the event loops start: one per core, shared by all
    /// the router's threads (glibc's default: one per thread, up to eight per core). With an
    /// arena per thread (15 in a router on 2 cores), each table build left the memory it freed in
    /// the arena of the thread it ran on while the next, on another thread, grew another: at
    /// 50,000 reports the router grown under the tree held 7.0 MiB more. One arena for all held
    /// the same as one per core but cost ~8 % more CPU per proxied request (the event loops
    /// waiting for each other's lock); one per core cost none measurable (bench/RESULTS.md).
    public static var arenaLimit: Int { System.coreCount }

    public func run() async throws {
        if !GlibcMalloc.setMmapThreshold(Self.mmapThreshold) {
            logger.notice("router.mmap_threshold_unset", metadata: ["bytes": "\(Self.mmapThreshold)"])
        }
        let arenas = configuration.mallocArenas
        if arenas > 0, !GlibcMalloc.setArenaLimit(arenas) {
            logger.notice("router.arena_limit_unset", metadata: ["arenas": "\(arenas)"])
        }
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        let health = RouterHealth()
        let tables = TableSource()
        let internalTables = TableSource()
        // Its own threads (not NIO's shared singleton), so their scheduling policy is the proxy's alone.
        let loops: any EventLoopGroup
        var pinned: [Int] = []
        if configuration.pinLoops {
            if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                let allowed = LoopPinning.allowedCPUs(status: status)
            {
                pinned = LoopPinning.cpus(forLoops: configuration.threads, allowed: allowed)
            } else {
                logger.notice("router.loops_unpinned", metadata: ["reason": "no Cpus_allowed_list"])
            }
        }
        switch configuration.engine {
        case .epoll:
            loops = try EpollLoopGroup(numberOfThreads: configuration.threads, pinnedCPUs: pinned)
        case .nio:
            loops =
                pinned.isEmpty
                ? MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
                : MultiThreadedEventLoopGroup(pinnedCPUIDs: pinned)
        }
        do {
            try await configuration.scheduling.apply(to: loops)
        } catch {
            logger.warning("router.scheduling_unchanged", metadata: ["error": "\(error)"])
        }
        let loopThreads = (try? await ControlPlanePriority.threadIDs(of: loops)) ?? []
        do {
            try await serve(
                tables: tables,
                internalTables: internalTables,
                health: health,
                loops: loops,
                loopThreads: loopThreads
            )
        } catch {
            try? await loops.shutdownGracefully()
            throw error
        }
        try await loops.shutdownGracefully()
    }

    private func serve(
        tables: TableSource,
        internalTables: TableSource,
        health: RouterHealth,
        loops: any EventLoopGroup,
        loopThreads: Set<Int32>
    ) async throws {
        let server = ProxyServer(tables: tables, configuration: configuration.proxy, group: loops, logger: logger)
        let listener = try await server.bind(host: configuration.listen.host, port: configuration.listen.port)
        var internalListener: (any Channel)?
        if let inside = configuration.internalListen {
            let internalServer = ProxyServer(
                tables: internalTables,
                configuration: configuration.proxy,
                group: loops,
                logger: logger
            )
            do {
                internalListener = try await internalServer.bind(host: inside.host, port: inside.port)
            } catch {
                try? await listener.close().get()
                throw error
            }
        }
        let metrics = self.metrics
        let admin: any Channel
        do {
            admin = try await AdminServer.bind(host: configuration.admin.host, port: configuration.admin.port) { path in
                switch path {
                case "/health":
                    .init(contentType: "application/json", body: health.json(table: tables.current) + "\n")
                case "/metrics":
                    .init(contentType: "text/plain; version=0.0.4", body: metrics())
                default:
                    .init(status: 404, body: "try /health or /metrics\n")
                }
            }
        } catch {
            try? await listener.close().get()
            try? await internalListener?.close().get()
            throw error
        }
        print(
            "router \(configuration.id): serving HTTP on \(configuration.address), admin on \(configuration.admin.host):\(configuration.admin.port)"
        )
        // Until a graceful shutdown (or a cancel) ends the feed.
        let nice = configuration.controlNice
        let batch = configuration.controlScheduling == .batch
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // Threads come and go (ZooKeeper's on a reconnect, the task pool's as it grows):
                // each look lowers the new ones.
                if nice > 0 || batch, !loopThreads.isEmpty {
                    group.addTask {
                        while !Task.isCancelled {
                            ControlPlanePriority.lower(allBut: loopThreads, to: nice, batch: batch)
                            try? await Task.sleep(for: .seconds(5))
                        }
                    }
                }
                await feed(tables: tables, internalTables: internalTables, health: health)
                group.cancelAll()
            }
        }
        try? await listener.close().get()
        try? await internalListener?.close().get()
        try? await admin.close().get()
    }

    /// Keeps trying ZooKeeper and runs the agent on each session; the table served meanwhile is
    /// whatever the router has. The last good table on disk is served only when ZooKeeper cannot
    /// be reached at start: with ZooKeeper up it may be stale (instances long gone).
    private func feed(tables: TableSource, internalTables: TableSource, health: RouterHealth) async {
        while !Task.isCancelled {
            let zk: ZooKeeperClient
            do {
                zk = try await ZooKeeperClient.connect(configuration.zooKeeper)
            } catch {
                health.set(zookeeper: false)
                logger.warning("router.zookeeper_unreachable", metadata: ["error": "\(error)"])
                // Nothing served yet (generation 0: no table from ZooKeeper, none from disk).
                if tables.generation == 0,
                    let saved = TableSnapshot.load(from: configuration.statePath)
                {
                    tables.replace(with: saved.table())
                    health.set(origin: .disk)
                    logger.info("router.table_from_disk", metadata: ["table.version": "\(saved.version)"])
                }
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            health.set(zookeeper: true)
            health.set(origin: .zookeeper)
            let agent = RouterAgent(
                zk: zk,
                tree: configuration.tree,
                tables: tables,
                id: configuration.id,
                address: configuration.address,
                statePath: configuration.statePath,
                zone: configuration.zone,
                internalTables: configuration.internalListen == nil ? nil : internalTables,
                internalAddress: configuration.internalListen.map { "\($0.host):\($0.port)" },
                lostGrace: configuration.lostGrace
            )
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await event in zk.sessionEvents() {
                        if case .connected = event { health.set(zookeeper: true) } else { health.set(zookeeper: false) }
                    }
                }
                do {
                    try await agent.run()
                } catch {
                    logger.warning("router.agent_stopped", metadata: ["error": "\(error)"])
                }
                group.cancelAll()
            }
            await zk.close()
        }
    }
}

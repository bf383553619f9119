import Foundation
public import Logging
import Reconciler
public import ServiceLifecycle
import Synchronization
public import ZKModel
public import ZooKeeper

/// Turns each Deploy into instance assignments on live supervisors (leader-elected: one
/// scheduler acts at a time, and its writes are fenced by its election node). Keys are Deploy
/// names; any change of a Deploy, its release pointer, its placement, the set of supervisors or
/// an instance's health reconciles it.
public final class SchedulerAgent: Service, Sendable {
    public struct Configuration: Sendable {
        public var identity: String
        /// How long a supervisor may be gone before its instances are placed elsewhere.
        public var lostHostGrace: Duration
        public var workers: Int

        public init(identity: String, lostHostGrace: Duration = .seconds(10), workers: Int = 2) {
            self.identity = identity
            self.lostHostGrace = lostHostGrace
            self.workers = workers
        }
    }

    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    public let configuration: Configuration
    let logger: Logger

    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        configuration: Configuration,
        logger: Logger = Logger(label: "atlantis.scheduler")
    ) {
        self.zk = zk
        self.tree = tree
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let election = LeaderElection(
            zk: zk,
            folder: tree.election(.scheduler),
            identity: configuration.identity,
            logger: logger
        )
        // On graceful shutdown the election ends: its node goes, and another scheduler leads at once.
        try await cancelWhenGracefulShutdown {
            try await election.run { leadership in
                try await self.lead(leadership)
            }
        }
    }

    private func lead(_ leadership: LeaderElection.Leadership) async throws {
        let caches = SchedulerCaches(zk: zk, tree: tree, logger: logger)
        let reconciler = DeployReconciler(
            tree: tree,
            caches: caches,
            leadership: leadership,
            grace: configuration.lostHostGrace,
            logger: logger
        )
        let (deploys, placements) = (caches.deploys, caches.placements)
        let everyDeploy: @Sendable () -> [String] = { Array(Set(deploys.allKeys() + placements.allKeys())) }
        let index = caches.instanceIndex
        let controller = Controller(
            name: "scheduler",
            reconciler: reconciler,
            sources: [
                caches.deploys, caches.pointers, caches.placements,
                FanOutKeySource(trigger: caches.supervisors, keys: everyDeploy),
                // An instance's health concerns its own Deploy only.
                MappedKeySource(caches.instances) { index.deploy(of: $0) },
            ],
            informers: caches.all,
            configuration: .init(
                workers: configuration.workers,
                // Events and timed requeues drive it; the resync only repairs a missed event.
                resyncEvery: .seconds(300),
                backoff: Backoff(base: .milliseconds(200), cap: .seconds(10))
            ),
            logger: logger
        )
        try await controller.run()  // until a graceful shutdown or a cancel
    }
}

/// The folders the scheduler reads, watched.
struct SchedulerCaches: Sendable {
    let deploys: ZNodeCache
    let pointers: ZNodeCache
    let placements: ZNodeCache
    let supervisors: ZNodeCache
    let instances: ZNodeCache
    let releases: ReleaseCache
    /// Placements, Deploy specs, instance statuses and registrations, each decoded once per version.
    let decodedPlacements: DecodedNodes<Placement>
    let decodedSpecs: DecodedNodes<DeploySpec>
    let decodedStatuses: DecodedNodes<InstanceStatus>
    let decodedSupervisors: DecodedNodes<SupervisorRegistration>
    let instanceIndex: InstanceIndex
    /// What every placed instance takes of each host, recomputed only when a placement or a Deploy changed.
    let hostUsage: HostUsage
    /// The Deploy statuses this leader wrote (no read of ZooKeeper before each write).
    let statusMemory = StatusMemory()

    init(zk: ZooKeeperClient, tree: ZNodeTree, logger: Logger) {
        deploys = ZNodeCache(zk: zk, folder: tree.desired(.deploy), logger: logger)
        pointers = ZNodeCache(zk: zk, folder: tree.releases, logger: logger)
        placements = ZNodeCache(zk: zk, folder: tree.placements, logger: logger)
        supervisors = ZNodeCache(zk: zk, folder: tree.supervisors, logger: logger)
        instances = ZNodeCache(zk: zk, folder: tree.instanceStatus, logger: logger)
        releases = ReleaseCache(zk: zk, tree: tree)
        decodedPlacements = DecodedNodes(placements) { key, data in
            try? Payload.decode(Placement.self, from: data, path: tree.placement(deploy: key))
        }
        decodedSpecs = DecodedNodes(deploys) { _, data in DeployReconciler.spec(data) }
        decodedStatuses = DecodedNodes(instances) { key, data in
            try? Payload.decode(InstanceStatus.self, from: data, path: tree.instanceStatus(key))
        }
        decodedSupervisors = DecodedNodes(supervisors) { key, data in
            try? Payload.decode(SupervisorRegistration.self, from: data, path: tree.supervisor(key))
        }
        instanceIndex = InstanceIndex(placements: decodedPlacements)
        hostUsage = HostUsage(placements: decodedPlacements, specs: decodedSpecs)
    }

    var all: [ZNodeCache] { [deploys, pointers, placements, supervisors, instances] }
}

/// Releases never change once written: read each once.
final class ReleaseCache: Sendable {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    private let known = Mutex([String: Release]())

    init(zk: ZooKeeperClient, tree: ZNodeTree) {
        self.zk = zk
        self.tree = tree
    }

    func release(_ deploy: String, _ number: Int) async throws -> Release? {
        let path = tree.release(deploy: deploy, number: number)
        if let release = known.withLock({ $0[path] }) { return release }
        do {
            let (data, _) = try await zk.getData(path)
            let release = try Payload.decode(Release.self, from: data, path: path)
            known.withLock { $0[path] = release }
            return release
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }
}

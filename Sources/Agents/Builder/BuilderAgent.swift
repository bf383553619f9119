public import Docker
import Foundation
public import Logging
public import Reconciler
public import ServiceLifecycle
public import ZKModel
public import ZooKeeper

/// The builder: watches `<root>/builds` and converges each build to an image in the registry
/// (`BuildReconciler`), one app's builds at a time and different apps' in parallel; looks at the
/// refs of Deploys with a `build:` (`SourcePoller`); registers where its logs are served.
public final class BuilderAgent: Service, Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    public let configuration: BuilderConfiguration
    public let controller: Controller
    let builds: ZNodeCache
    let statuses: ZNodeCache
    let templates: ZNodeCache
    let deploys: ZNodeCache
    let registrar: EphemeralRegistrar
    let poller: SourcePoller
    let logs: BuildLogStore
    let logger: Logger

    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        configuration: BuilderConfiguration,
        docker: DockerClient,
        logs: BuildLogStore,
        pollTick: Duration = .seconds(1),
        logger: Logger = Logger(label: "atlantis.builder")
    ) {
        self.zk = zk
        self.tree = tree
        self.configuration = configuration
        self.logs = logs
        var logger = logger
        logger[metadataKey: "builder"] = "\(configuration.builderID)"
        self.logger = logger
        builds = ZNodeCache(zk: zk, folder: tree.builds, logger: logger)
        statuses = ZNodeCache(zk: zk, folder: tree.buildStatus, logger: logger)
        templates = ZNodeCache(zk: zk, folder: tree.desired(.template), logger: logger)
        deploys = ZNodeCache(zk: zk, folder: tree.desired(.deploy), logger: logger)
        let fetcher = SourceFetcher(
            registry: RegistryClient(address: configuration.registry),
            gitCache: "\(configuration.store)/git",
            limits: configuration.sourceLimits
        )
        let registration = BuilderRegistration(
            builder: configuration.builderID,
            logURL: configuration.logURL,
            workers: configuration.workers
        )
        registrar = EphemeralRegistrar(
            zk: zk,
            path: tree.builder(configuration.builderID),
            body: (try? Payload.encode(registration)) ?? [],
            role: "builder",
            logger: logger
        )
        poller = SourcePoller(zk: zk, tree: tree, deploys: deploys, fetcher: fetcher, logger: logger, tick: pollTick)
        let reconciler = BuildReconciler(
            zk: zk,
            tree: tree,
            configuration: configuration,
            builds: builds,
            statuses: statuses,
            templates: templates,
            docker: docker,
            fetcher: fetcher,
            logs: logs,
            logger: logger
        )
        controller = Controller(
            name: "builder",
            reconciler: reconciler,
            sources: [MappedKeySource(builds) { id in reconciler.request(id)?.app }],
            informers: [builds, statuses, templates, deploys],
            configuration: .init(
                workers: configuration.workers,
                resyncEvery: .seconds(30),
                backoff: Backoff(base: .seconds(1), cap: .seconds(30)),
                reconcileTimeout: configuration.buildTimeout + configuration.pushDeadline + .seconds(60)
            ),
            logger: logger
        )
    }

    public func run() async throws {
        for folder in [tree.builds, tree.buildStatus, tree.builtImages, tree.sourceRevisions, tree.buildLeases] {
            try? await zk.ensurePath(folder)
        }
        logs.prune()
        let controller = self.controller
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.registrar.run() }
            group.addTask { await self.poller.run() }
            try await controller.run()
            await self.registrar.deregister()
            group.cancelAll()
        }
        logger.info("builder.stopped")
    }
}

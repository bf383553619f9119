public import AsyncHTTPClient
public import Docker
import Foundation
public import Logging
public import Reconciler
public import ServiceLifecycle
public import ZKModel
public import ZooKeeper

/// The agent on every Docker host: registers the host, and converges the host's containers
/// (and their egress rules) to the instances assigned to it, reporting each instance's status.
/// Keys are instance ids, from the assignments folder and from the Engine (its containers and
/// their events), so a container nobody assigned any more is noticed as surely as a new
/// assignment. Containers survive the supervisor: a restarted supervisor adopts them.
public final class SupervisorAgent: Service, Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    public let configuration: SupervisorConfiguration
    let logger: Logger
    let assignments: ZNodeCache
    let services: ZNodeCache
    let routers: ZNodeCache
    let dockerKeys: DockerKeySource
    let registrar: EphemeralRegistrar
    let docker: DockerClient
    /// The engine running `reconcile`; its failure counts show the backoff at work.
    public let controller: Controller
    /// Each instance's restarts, failed starts and backoff.
    let history: InstanceHistory
    /// Warm network sandboxes (`configuration.warmSandboxes`; needs the gate's busybox).
    let sandboxes: SandboxPool?

    /// `http` serves both the Engine (over its socket) and the health checks.
    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        configuration: SupervisorConfiguration,
        docker: DockerClient,
        http: HTTPClient,
        logger: Logger = Logger(label: "atlantis.supervisor")
    ) {
        self.zk = zk
        self.tree = tree
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "host"] = "\(configuration.hostID)"
        self.logger = logger
        self.docker = docker
        assignments = ZNodeCache(zk: zk, folder: tree.assignments(host: configuration.hostID), logger: logger)
        services = ZNodeCache(zk: zk, folder: tree.desired(.service), logger: logger)
        routers = ZNodeCache(zk: zk, folder: tree.routers, logger: logger)
        dockerKeys = DockerKeySource(docker: docker, hostID: configuration.hostID, logger: logger)
        registrar = EphemeralRegistrar(
            zk: zk,
            path: tree.supervisor(configuration.hostID),
            body: (try? Payload.encode(configuration.registration)) ?? [],
            role: "supervisor",
            logger: logger
        )
        let (gate, noGate) = StartGate.make(
            directory: "\(configuration.gateDirectory)/\(configuration.hostID)",
            shell: configuration.gateShell
        )
        if let noGate {
            logger.warning(
                "supervisor.no_start_gate",
                metadata: ["reason": "\(noGate)", "effect": "workloads start before their network is attached"]
            )
        }
        let history = InstanceHistory(backoff: configuration.restartBackoff)
        self.history = history
        let ports = PortAllocator(range: configuration.ports)
        sandboxes =
            configuration.warmSandboxes > 0 && gate != nil
            ? SandboxPool(configuration: configuration, docker: docker, ports: ports, logger: logger) : nil
        var reconciler = InstanceReconciler(
            configuration: configuration,
            tree: tree,
            docker: docker,
            logger: logger,
            assignments: assignments,
            services: services,
            routers: routers,
            statuses: InstanceStatusStore(zk: zk, tree: tree),
            history: history,
            ports: ports,
            firewall: EgressFirewall(nsenter: configuration.nsenter),
            gate: gate,
            probe: HealthProbe(http: http)
        )
        reconciler.sandboxes = sandboxes
        controller = Controller(
            name: "supervisor",
            reconciler: reconciler,
            // A Service change reconciles every instance (its egress rules may change).
            sources: [
                assignments, dockerKeys,
                FanOutKeySource(trigger: services, keys: { [assignments] in assignments.allKeys() }),
            ],
            // Routers are read, not followed: a table swap would reconcile every instance. A new
            // internal router is picked up by the next pass (resync).
            informers: [assignments, services, routers, dockerKeys],
            configuration: .init(
                workers: configuration.workers,
                resyncEvery: .seconds(30),
                backoff: Backoff(base: .milliseconds(500), cap: .seconds(30)),
                reconcileTimeout: .seconds(Int64(configuration.stopGrace) + 120)
            ),
            logger: logger
        )
    }

    /// Registers, watches and converges until cancelled or gracefully shut down. On graceful
    /// shutdown the reconciles in flight finish and the registration is removed; containers
    /// keep running (the next supervisor on this host adopts them).
    public func run() async throws {
        let controller = self.controller
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.registrar.run() }
            if let sandboxes { group.addTask { await sandboxes.run() } }
            if let port = configuration.logsPort {
                // The log streams' Engine connections, apart from the reconciler's.
                let http = DockerClient.makeHTTPClient()
                let server = ContainerLogServer(
                    docker: DockerClient(socketPath: docker.socketPath, http: http, logger: logger),
                    hostID: configuration.hostID,
                    host: configuration.address,
                    port: port,
                    logger: logger
                )
                group.addTask {
                    do {
                        try await server.run()
                    } catch {
                        try? await http.shutdown()
                        throw error
                    }
                    try await http.shutdown()
                }
            }
            // The controller ends on graceful shutdown (after draining) or on cancellation.
            try await controller.run()
            await self.registrar.deregister()
            group.cancelAll()
        }
        logger.info("supervisor.stopped")
    }
}

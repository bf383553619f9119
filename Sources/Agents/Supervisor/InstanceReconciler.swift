import Docker
import Foundation
import Logging
import Reconciler
import ZKModel
import ZooKeeper

/// Converges one instance of a host: its container (created, adopted, replaced, restarted with
/// backoff, or removed), its egress rules, and its status (with a health probe).
struct InstanceReconciler: Reconciler {
    let configuration: SupervisorConfiguration
    let tree: ZNodeTree
    let docker: DockerClient
    let logger: Logger
    let assignments: ZNodeCache
    let services: ZNodeCache
    let routers: ZNodeCache
    let statuses: InstanceStatusStore
    let history: InstanceHistory
    let ports: PortAllocator
    let firewall: EgressFirewall
    let gate: StartGate?
    let probe: HealthProbe
    /// Warm network sandboxes a new container joins (nil: every start makes its network).
    var sandboxes: SandboxPool? = nil

    /// Level-triggered, in phases: the assignment, the container, its egress rules, its health
    /// and the status that reports them.
    func reconcile(key instance: String) async throws -> ReconcileResult {
        let hostLabel = "\(ContainerLabels.host)=\(configuration.hostID)"
        // The status last written is read (once per instance) while the Engine lists.
        let seeded = history.isSeeded(instance)
        async let previous = seeded ? nil : statuses.current(instance)
        let containers = try await docker.containers(labels: [hostLabel, "\(ContainerLabels.instance)=\(instance)"])
        guard let node = assignments.snapshot(instance) else {
            return try await retire(instance, containers: containers)
        }
        let assignment: InstanceAssignment
        do {
            assignment = try Self.assignment(instance, data: node.data, tree: tree, host: configuration.hostID)
        } catch {
            try await reportUnreadable(instance, error: error)
            throw error
        }
        let plan = try ContainerPlan(assignment)
        let generation = Int(node.stat.version)
        var report = Report(reconciler: self, assignment: assignment, generation: generation)
        if !seeded { seedHistory(instance, previous: try await previous, containers: containers) }
        let containerID: String
        let hostPort: Int
        switch try await ensureContainer(plan, generation: generation, containers: containers, report: &report) {
        case .waiting(let delay):
            return .requeue(after: delay)
        case .running(let id, let port, let egressApplied):
            (containerID, hostPort) = (id, port)
            if egressApplied { return try await probeAndReport(assignment, hostPort: hostPort, report: &report) }
        }
        guard try await ensureEgress(assignment, container: containerID, hostPort: hostPort, report: &report) else {
            // It stopped between listing and inspecting: the die event brings us back.
            return .requeue(after: .milliseconds(100))
        }
        return try await probeAndReport(assignment, hostPort: hostPort, report: &report)
    }

    /// An assignment that does not read (written behind the scheduler's back) changes nothing:
    /// the container of its last valid version keeps running; the error goes to the instance's
    /// status and to a warning, and the next valid version is taken up as usual.
    func reportUnreadable(_ instance: String, error: any Error) async throws {
        logger.warning(
            "supervisor.assignment_unreadable",
            metadata: ["instance": "\(instance)", "error": "\(error)", "serving": "its last valid version, unchanged"]
        )
        guard var status = try await statuses.current(instance) else { return }
        status.lastError = "\(error); the instance keeps running as last assigned"
        try await statuses.write(status, instance: instance)
    }

    /// This zone's internal router, as the routers' registrations say now.
    func internalRouter() -> InternalRouter? {
        InternalRouter.find(
            in: routers.allKeys().compactMap { key in routers.snapshot(key).map { (key, $0.data) } },
            zone: configuration.zone
        )
    }

    /// Where the container phase left the instance.
    enum ContainerOutcome {
        /// Its container runs, published on `port`; `egressApplied` when it was just started in a
        /// sandbox whose rules were applied and read back before the start (no second look needed).
        case running(id: String, port: Int, egressApplied: Bool = false)
        /// Not started (restart backoff): look again after the delay.
        case waiting(Duration)
    }

    /// The assignment in `data`, checked against its schema and its key.
    static func assignment(
        _ instance: String,
        data: [UInt8],
        tree: ZNodeTree,
        host: String
    ) throws -> InstanceAssignment {
        let assignment: InstanceAssignment
        do {
            assignment = try decode(data)
        } catch {
            throw TerminalError("assignment \(tree.assignment(host: host, instance: instance)) is invalid: \(error)")
        }
        guard assignment.instance == instance else {
            throw TerminalError("assignment \(instance) names instance \(assignment.instance); the two must match")
        }
        return assignment
    }

    /// After a restart of the supervisor: restarts and the last error from the status last written;
    /// a container that vanished while no supervisor watched (removed by hand) counts as a crash.
    private func seedHistory(_ instance: String, previous: InstanceStatus?, containers: [ContainerSummary]) {
        guard !history.isSeeded(instance) else { return }
        history.seed(instance, restarts: previous?.restarts ?? 0, lastError: previous?.lastError)
        if let id = previous?.containerID, !containers.contains(where: { $0.id == id }) {
            history.crashed(instance, reason: "container \(id.prefix(12)) disappeared")
        }
    }

    /// At most one container, of the current spec, running: others (an old spec, a duplicate) are
    /// stopped, an exited one is removed and counted as a crash, and a missing one is started
    /// unless the restart backoff says to wait.
    private func ensureContainer(
        _ plan: ContainerPlan,
        generation: Int,
        containers: [ContainerSummary],
        report: inout Report
    ) async throws -> ContainerOutcome {
        let assignment = plan.assignment
        let instance = assignment.instance
        // Containers the Engine could not remove (or is removing) are never the instance's
        // container again: they are set aside, and do not block a replacement.
        forgetVanished(instance, containers: containers)
        let stuck = history.stuckContainers(instance)
        let usable = containers.filter { $0.state != "removing" && $0.state != "dead" && stuck[$0.id] == nil }
        let current =
            usable.first { $0.labels[ContainerLabels.spec] == plan.specHash && $0.isRunning }
            ?? usable.first { $0.labels[ContainerLabels.spec] == plan.specHash }
        for stale in containers where stale.id != current?.id {
            if stuck[stale.id] == nil {
                logger.info(
                    "supervisor.container_replaced",
                    metadata: ["instance": "\(instance)", "container": "\(stale.id.prefix(12))"]
                )
            }
            await removeOrSetAside(stale, instance: instance)
        }
        var running = current.flatMap { $0.isRunning ? $0 : nil }
        if let dead = current, !dead.isRunning {
            let details = try await docker.inspect(container: dead.id)
            let reason = Self.exitReason(dead, details)
            logger.warning("supervisor.container_exited", metadata: ["instance": "\(instance)", "reason": "\(reason)"])
            history.crashed(instance, reason: reason)
            await removeOrSetAside(dead, instance: instance)
            running = nil
        }
        if let running {
            guard
                let published = running.ports.first(where: { $0.privatePort == assignment.port })?.publicPort
                    ?? running.labels[ContainerLabels.hostPort].flatMap({ Int($0) })
            else {
                // Published nowhere usable: replace it on the next pass.
                try await stopAndRemove(running.id, sandbox: running.labels[ContainerLabels.sandbox])
                throw ReconcileFailure("container \(running.id.prefix(12)) does not publish port \(assignment.port)")
            }
            ports.adopt(published, for: instance)
            report.containerID = running.id
            return .running(id: running.id, port: published)
        }
        if let wait = history.waitRemaining(instance) {
            try await report.write(state: .backoff, port: ports.port(for: instance, publishedByContainers: []) ?? 0)
            return .waiting(wait)
        }
        let (id, port, inSandbox) = try await start(plan, generation: generation, report: &report)
        report.containerID = id
        return .running(id: id, port: port, egressApplied: inSandbox)
    }

    /// The health probe, the status it gives, and when to look again: at the check's interval once
    /// healthy (or after 30 s of trying), often while starting so it is routed as soon as it answers.
    private func probeAndReport(
        _ assignment: InstanceAssignment,
        hostPort: Int,
        report: inout Report
    ) async throws -> ReconcileResult {
        let instance = assignment.instance
        let check = assignment.healthCheck
        var failure = await probe.check(
            address: configuration.address,
            port: hostPort,
            path: check?.path ?? "/",
            timeout: .seconds(check?.timeoutSeconds ?? 2)
        )
        // Started within the last 200 ms: probed again every 2 ms in this pass (a workload
        // usually listens within a few), so its healthy status is not one more pass away.
        if failure != nil, let started = history.entry(instance).startedAt {
            while failure != nil, ContinuousClock.now - started < .milliseconds(200) {
                try await Task.sleep(for: .milliseconds(2))
                failure = await probe.check(
                    address: configuration.address,
                    port: hostPort,
                    path: check?.path ?? "/",
                    timeout: .seconds(check?.timeoutSeconds ?? 2)
                )
            }
        }
        let healthy = history.probed(
            instance,
            ok: failure == nil,
            error: failure,
            threshold: configuration.unhealthyThreshold
        )
        let entry = history.entry(instance)
        try await report.write(state: healthy ? .running : .starting, port: hostPort, healthy: healthy)
        if healthy || (entry.startedAt.map { ContinuousClock.now - $0 > .seconds(30) } ?? false) {
            return .requeue(after: check?.intervalSeconds.map { .seconds($0) } ?? configuration.healthInterval)
        }
        // Just started (its workload let through the gate a moment ago): look again soon, so it
        // is routed within milliseconds of answering (every 5 ms for 2 s); then every 50 ms.
        let young = entry.startedAt.map { ContinuousClock.now - $0 < .seconds(2) } ?? false
        return .requeue(after: .milliseconds(young ? 5 : 50))
    }

    /// Pulls if needed, creates and starts the container (in a warm sandbox when there is one).
    /// Errors are written to status first.
    private func start(
        _ plan: ContainerPlan,
        generation: Int,
        report: inout Report
    ) async throws -> (id: String, port: Int, inSandbox: Bool) {
        let assignment = plan.assignment
        let instance = assignment.instance
        // Not for extra /etc/hosts lines (app dependencies), which the Engine sets only with a network.
        if let sandboxes, wiring(assignment) == nil, let spare = sandboxes.take(containerPort: assignment.port),
            let (id, port) = try await startInSandbox(plan, generation: generation, spare: spare, report: &report)
        {
            return (id, port, true)
        }
        // The host's published ports, the image and the container's name are asked of the Engine
        // at once: three round trips on a deploy's path become one wait.
        async let hostContainers = docker.containers(labels: ["\(ContainerLabels.host)=\(configuration.hostID)"])
        async let storedCommand = docker.imageCommand(assignment.image)
        async let freedName = freeName(for: instance)
        let published =
            try await hostContainers
            .filter { $0.labels[ContainerLabels.instance] != instance }
            .reduce(into: Set<Int>()) { used, c in
                c.ports.compactMap(\.publicPort).forEach { used.insert($0) }
                // A container in a sandbox's network: its port is published by the sandbox.
                if let port = c.labels[ContainerLabels.hostPort].flatMap({ Int($0) }) { used.insert(port) }
            }
        guard let port = ports.port(for: instance, publishedByContainers: published) else {
            history.failed(instance, reason: "no free host port in \(configuration.ports)")
            try await report.write(state: .failed, port: 0)
            throw ReconcileFailure("no free host port in \(configuration.ports)")
        }
        let stored: Result<ImageCommand?, any Error>
        do { stored = .success(try await storedCommand) } catch { stored = .failure(error) }
        let command = try await image(assignment, stored: stored, port: port, report: &report)
        let freed: Result<String, any Error>
        do { freed = .success(try await freedName) } catch { freed = .failure(error) }
        let name = try await started(instance, port: port, report: &report, freed)
        var config = try await containerConfig(plan, hostPort: port, generation: generation, report: &report)
        if let gate {
            do {
                (config.entrypoint, config.cmd) = try gate.wrap(command)
                config.binds = gate.binds(name)
                // The workload waits behind the gate until the rules are in: the container can
                // start in its network (no attach afterwards, about 70 ms less per start).
                config.networkMode = configuration.network
                try gate.shut(name)
            } catch {
                history.startFailed(instance, reason: "start: \(Self.message(error))")
                try await report.write(state: .failed, port: port)
                throw error
            }
        }
        var created: String?
        do {
            let id = try await docker.create(name: name, config)
            created = id
            try await docker.start(container: id)
            history.started(instance)
            logger.info(
                "supervisor.container_started",
                metadata: ["instance": "\(instance)", "container": "\(id.prefix(12))", "port": "\(port)"]
            )
            // Its first status is written after its egress rules, by its first probe: a write
            // here would be one more ZooKeeper round trip between the start and the first answer.
            report.containerID = id
            return (id, port, false)
        } catch {
            if let created { try? await docker.remove(container: created) }
            let message = Self.message(error)
            if message.contains("address already in use") || message.contains("port is already allocated") {
                ports.clash(port, for: instance)
            }
            history.startFailed(instance, reason: "start: \(message)")
            try await report.write(state: .failed, port: port)
            throw error
        }
    }

    /// What the image runs (for the start gate), pulled first when the Engine does not have it.
    /// A failure is the instance's failed start.
    func image(
        _ assignment: InstanceAssignment,
        stored: Result<ImageCommand?, any Error>,
        port: Int,
        report: inout Report
    ) async throws -> ImageCommand {
        let instance = assignment.instance
        do {
            if let stored = try stored.get() { return stored }
            logger.info("supervisor.pulling", metadata: ["instance": "\(instance)", "image": "\(assignment.image)"])
            try await docker.pull(assignment.image)
            guard let pulled = try await docker.imageCommand(assignment.image) else {
                throw StartGate.Unusable(description: "pulled, but the Engine does not list it")
            }
            return pulled
        } catch {
            history.startFailed(instance, reason: "image \(assignment.image): \(Self.message(error))")
            try await report.write(state: .failed, port: port)
            throw error
        }
    }

    /// A step's value; its failure is the instance's failed start.
    func started<T>(
        _ instance: String,
        port: Int,
        report: inout Report,
        _ step: Result<T, any Error>
    ) async throws -> T {
        do {
            return try step.get()
        } catch {
            history.startFailed(instance, reason: "start: \(Self.message(error))")
            try await report.write(state: .failed, port: port)
            throw error
        }
    }

    /// The `/etc/hosts` lines and variables that wire the instance's app dependencies to this
    /// zone's internal router; nil when it has none (or there is no internal router yet).
    func wiring(_ assignment: InstanceAssignment) -> (env: [String], hosts: [String])? {
        guard let dependencies = assignment.dependsOnApps, !dependencies.isEmpty, let router = internalRouter() else {
            return nil
        }
        return router.wiring(for: dependencies)
    }

    /// The container's Engine configuration: the plan's, with its app dependencies wired and its
    /// secrets opened (a secret wins over the App's variable of the same name).
    func containerConfig(
        _ plan: ContainerPlan,
        hostPort: Int,
        generation: Int,
        report: inout Report
    ) async throws -> ContainerConfig {
        let assignment = plan.assignment
        var config = plan.config(
            host: configuration,
            hostPort: hostPort,
            generation: generation,
            stopGrace: configuration.stopGrace
        )
        if let wiring = wiring(assignment) {
            config.env += wiring.env
            config.extraHosts = wiring.hosts
        }
        if let revision = assignment.secrets {
            do {
                let secrets = try await secretEnvironment(assignment, revision: revision)
                // A secret wins over the App's variable of the same name (getenv finds the first).
                let names = Set(secrets.map { String($0.prefix(while: { $0 != "=" })) })
                config.env = config.env.filter { !names.contains(String($0.prefix(while: { $0 != "=" }))) } + secrets
            } catch {
                history.startFailed(assignment.instance, reason: "secrets: \(Self.message(error))")
                try await report.write(state: .failed, port: hostPort)
                throw error
            }
        }
        return config
    }

    /// The name for a new container of `instance`: its usual one, or, while a container the
    /// Engine cannot remove holds that, the next of `<name>-2`, `<name>-3`, ... A container of the
    /// name left half-made by an earlier attempt is removed first.
    func freeName(for instance: String) async throws -> String {
        let base = ContainerLabels.containerName(host: configuration.hostID, instance: instance)
        let taken = Set(history.stuckContainers(instance).values.map(\.name))
        var lastError: (any Error)?
        for n in 1...8 {
            let name = n == 1 ? base : "\(base)-\(n)"
            if taken.contains(name) { continue }
            do {
                try await docker.remove(container: name)
                return name
            } catch {
                // Held by a container the Engine cannot remove (not one of ours by its labels).
                lastError = error
            }
        }
        throw ReconcileFailure(
            "no usable container name for \(instance): \(lastError.map { Self.message($0) } ?? "all taken by stuck containers")"
        )
    }

    /// Stops and removes a container that is not (or no longer) the instance's; one the Engine
    /// cannot remove is reported and set aside (its removal is tried again later), never waited on.
    func removeOrSetAside(_ container: ContainerSummary, instance: String) async {
        guard history.mayRetryRemoval(instance, container: container.id) else { return }
        do {
            if container.isRunning { try await docker.stop(container: container.id, grace: configuration.stopGrace) }
            try await docker.remove(container: container.id)
            firewall.forget(container: container.id)
            history.removed(instance, container: container.id)
            gate?.remove(Self.name(of: container))
            if let sandbox = container.labels[ContainerLabels.sandbox] { await removeSandbox(sandbox) }
        } catch {
            let message = Self.message(error)
            let first = history.stuck(instance, container: container.id, name: Self.name(of: container), error: message)
            var metadata: Logger.Metadata = [
                "instance": "\(instance)", "container": "\(container.id.prefix(12))", "error": "\(message)",
            ]
            metadata["state"] = "\(container.state)"
            if first {
                logger.warning("supervisor.container_stuck", metadata: metadata)
            } else {
                logger.debug("supervisor.container_stuck", metadata: metadata)
            }
        }
    }

    /// Stuck containers the Engine no longer lists (it finished removing them) are forgotten.
    func forgetVanished(_ instance: String, containers: [ContainerSummary]) {
        let listed = Set(containers.map(\.id))
        for id in history.stuckContainers(instance).keys where !listed.contains(id) {
            history.removed(instance, container: id)
        }
    }

    /// A container's name without the Engine's leading slash.
    static func name(of container: ContainerSummary) -> String {
        String((container.names.first ?? "").drop(while: { $0 == "/" }))
    }

    /// No assignment: first report it unhealthy and wait `drainDelay` (routers stop sending it
    /// requests), then stop and remove its containers (with the grace period) and its status.
    private func retire(_ instance: String, containers: [ContainerSummary]) async throws -> ReconcileResult {
        if containers.contains(where: \.isRunning), var status = try await statuses.current(instance),
            configuration.drainDelay > .zero
        {
            if status.state != .stopping {
                status.healthy = false
                status.state = .stopping
                try await statuses.write(status, instance: instance)
                history.draining(instance)
                return .requeue(after: configuration.drainDelay)
            }
            if let left = history.drainRemaining(instance, delay: configuration.drainDelay) {
                return .requeue(after: left)
            }
        }
        for container in containers {
            logger.info(
                "supervisor.container_stopping",
                metadata: ["instance": "\(instance)", "container": "\(container.id.prefix(12))"]
            )
            await removeOrSetAside(container, instance: instance)
        }
        try await statuses.delete(instance)
        ports.release(instance)
        gate?.remove(ContainerLabels.containerName(host: configuration.hostID, instance: instance))
        // One the Engine cannot remove yet is tried again (its own backoff); nothing is left behind.
        forgetVanished(instance, containers: containers)
        if let retry = history.stuckContainers(instance).values.map(\.retryAt).min() {
            return .requeue(after: max(retry - .now, .milliseconds(100)))
        }
        history.forget(instance)
        return .done
    }

    /// Stops and removes a container, and the sandbox whose network it was in.
    func stopAndRemove(_ id: String, sandbox: String?) async throws {
        try await docker.stop(container: id, grace: configuration.stopGrace)
        try await docker.remove(container: id)
        firewall.forget(container: id)
        if let sandbox { await removeSandbox(sandbox) }
    }

    static func decode(_ data: [UInt8]) throws -> InstanceAssignment {
        let value = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        let errors = SchemaValidator.embedded.validate(value, against: "instance-assignment.schema.json")
        if let first = errors.first { throw TerminalError(first.description) }
        return try Payload.decode(InstanceAssignment.self, from: data, path: "the assignment")
    }

    static func message(_ error: any Error) -> String {
        (error as? DockerError)?.message ?? "\(error)"
    }

    static func exitReason(_ summary: ContainerSummary, _ details: ContainerDetails?) -> String {
        guard let state = details?.state else { return "container \(summary.id.prefix(12)) \(summary.status)" }
        if state.oomKilled { return "container was killed: out of memory (exit code \(state.exitCode))" }
        if !state.error.isEmpty { return "container failed: \(state.error)" }
        if summary.state == "created" { return "container was created but never started" }
        return "container exited with code \(state.exitCode)"
    }
}

/// Builds and writes one instance's status from what the reconcile found.
struct Report {
    let reconciler: InstanceReconciler
    let assignment: InstanceAssignment
    let generation: Int
    var containerID: String?
    /// The container's address on the host's network, once attached.
    var containerAddress: String?

    mutating func write(state: InstanceState, port: Int, healthy: Bool = false, containerID: String? = nil) async throws
    {
        if let containerID { self.containerID = containerID }
        let entry = reconciler.history.entry(assignment.instance)
        var status = InstanceStatus(
            app: assignment.app,
            environment: assignment.environment,
            host: reconciler.configuration.address,
            port: max(port, 1),
            healthy: healthy
        )
        status.state = state
        status.containerID = self.containerID
        status.restarts = entry.restarts
        status.lastError = entry.lastError
        status.supervisor = reconciler.configuration.hostID
        status.zone = reconciler.configuration.zone
        status.release = assignment.release
        status.generation = generation
        status.standby = assignment.standby
        status.containerAddress = containerAddress
        status.reaches = assignment.dependsOnApps.flatMap { $0.isEmpty ? nil : $0.map(\.pool) }
        try await reconciler.statuses.write(status, instance: assignment.instance)
    }
}

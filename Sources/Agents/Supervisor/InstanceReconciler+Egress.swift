import Docker
import Logging
import Reconciler
import ZKModel

extension InstanceReconciler {
    /// Egress rules, then the network: a container starts with loopback only (network `none`),
    /// its rules are applied in its namespace and read back, and only then is it attached to the
    /// host's network, so its workload never has network access without them. Re-checked on every
    /// pass. A container whose rules cannot be applied is stopped and reported failed. False when
    /// the container is no longer running (or its sandbox is not, and it was replaced).
    func ensureEgress(
        _ assignment: InstanceAssignment,
        container: String,
        hostPort: Int,
        report: inout Report
    ) async throws -> Bool {
        let instance = assignment.instance
        guard let details = try await docker.inspect(container: container), details.state.running,
            details.state.pid > 0
        else { return false }
        // A container in a sandbox's network: the rules are the sandbox's namespace's, and a
        // sandbox that stopped took the network with it (the container is replaced, a crash).
        let sandbox = details.labels[ContainerLabels.sandbox]
        var namespace = (id: container, details: details)
        if let sandbox {
            guard let box = try await docker.inspect(container: sandbox), box.state.running, box.state.pid > 0 else {
                logger.warning(
                    "supervisor.sandbox_lost",
                    metadata: [
                        "instance": "\(instance)", "sandbox": "\(sandbox.prefix(12))", "effect": "container replaced",
                    ]
                )
                history.crashed(instance, reason: "its network sandbox \(sandbox.prefix(12)) stopped")
                try await stopAndRemove(container, sandbox: sandbox)
                report.containerID = nil
                return false
            }
            namespace = (sandbox, box)
        }
        let (rules, problems) = egressRules(for: assignment)
        var step = "egress rules not applied"
        do {
            if try await firewall.ensure(
                rules,
                container: namespace.id,
                pid: namespace.details.state.pid,
                startedAt: namespace.details.state.startedAt ?? ""
            ) {
                logger.info(
                    "supervisor.egress_applied",
                    metadata: ["instance": "\(instance)", "allowed": "\(rules.allowed.count)"]
                )
            }
            if sandbox != nil {
                report.containerAddress = namespace.details.ipAddress
            } else if !details.networks.contains(configuration.network) {
                step = "not attached to network \(configuration.network)"
                if details.networks.contains("none") {
                    try await docker.disconnect(container: container, network: "none")
                }
                try await docker.connect(container: container, network: configuration.network)
                report.containerAddress = try await docker.inspect(container: container)?.ipAddress
            } else {
                report.containerAddress = details.ipAddress
            }
            if let gate, sandbox == nil {
                step = "start gate not opened"
                // Its own name: another than the usual one while a stuck container holds that.
                try gate.open(String(details.name.drop(while: { $0 == "/" })))
            }
        } catch {
            // Never left running unprotected or half-made: stopped, counted as a failed start
            // (the next one waits its backoff), and reported.
            let message = Self.message(error)
            logger.error(
                "supervisor.start_unsafe",
                metadata: [
                    "instance": "\(instance)", "container": "\(container.prefix(12))", "error": "\(step): \(message)",
                ]
            )
            if message.contains("address already in use") || message.contains("port is already allocated") {
                ports.clash(hostPort, for: instance)
            }
            history.crashed(instance, reason: "\(step), container stopped: \(message)")
            try await stopAndRemove(container, sandbox: sandbox)
            report.containerID = nil
            try await report.write(state: .failed, port: hostPort)
            throw ReconcileFailure("\(instance): \(step): \(message)")
        }
        if !problems.isEmpty { history.failed(instance, reason: problems.joined(separator: "; ")) }
        return true
    }

    /// The instance's egress rules as the Services and this zone's internal router say now, and
    /// the dependencies that could not be resolved.
    func egressRules(for assignment: InstanceAssignment) -> (rules: EgressRules, problems: [String]) {
        EgressResolver(services: services, internalRouter: internalRouter(), zone: configuration.zone)
            .rules(for: assignment)
    }
}

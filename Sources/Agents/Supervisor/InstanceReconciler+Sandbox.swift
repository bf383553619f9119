import Docker
import Logging
import Reconciler
import ZKModel

extension InstanceReconciler {
    /// Starts the instance's container in a warm sandbox's network (`SandboxPool`). The egress
    /// rules go into the sandbox's namespace while the image is looked at and the container is
    /// created, and the container starts only once they are in: its workload runs behind them from
    /// its first instruction, without a gate. nil when the sandbox turned out stopped (it is
    /// removed; the caller starts the container the usual way). A failure removes the sandbox.
    func startInSandbox(
        _ plan: ContainerPlan,
        generation: Int,
        spare: SandboxPool.Spare,
        report: inout Report
    ) async throws -> (String, Int)? {
        let assignment = plan.assignment
        let instance = assignment.instance
        async let storedCommand = docker.imageCommand(assignment.image)
        async let freedName = freeName(for: instance)
        guard let box = try? await docker.inspect(container: spare.id), box.state.running, box.state.pid > 0 else {
            logger.info("supervisor.sandbox_stopped", metadata: ["sandbox": "\(spare.id.prefix(12))"])
            await removeSandbox(spare.id)
            return nil
        }
        ports.adopt(spare.hostPort, for: instance)
        let (rules, problems) = egressRules(for: assignment)
        if !problems.isEmpty { history.failed(instance, reason: problems.joined(separator: "; ")) }
        let firewall = self.firewall
        async let applied = firewall.ensure(
            rules,
            container: spare.id,
            pid: box.state.pid,
            startedAt: box.state.startedAt ?? ""
        )
        let config: ContainerConfig
        let name: String
        do {
            let stored: Result<ImageCommand?, any Error>
            do { stored = .success(try await storedCommand) } catch { stored = .failure(error) }
            _ = try await image(assignment, stored: stored, port: spare.hostPort, report: &report)
            let freed: Result<String, any Error>
            do { freed = .success(try await freedName) } catch { freed = .failure(error) }
            name = try await started(instance, port: spare.hostPort, report: &report, freed)
            var made = try await containerConfig(
                plan,
                hostPort: spare.hostPort,
                generation: generation,
                report: &report
            )
            made.networkMode = "container:\(spare.id)"
            made.publishesPort = false
            made.labels[ContainerLabels.sandbox] = spare.id
            made.labels[ContainerLabels.hostPort] = "\(spare.hostPort)"
            config = made
        } catch {
            _ = try? await applied
            await removeSandbox(spare.id)
            throw error
        }
        var created: String?
        var step = "start"
        do {
            let id = try await docker.create(name: name, config)
            created = id
            step = "egress rules not applied"
            _ = try await applied
            step = "start"
            try await docker.start(container: id)
            history.started(instance)
            logger.info(
                "supervisor.container_started",
                metadata: [
                    "instance": "\(instance)", "container": "\(id.prefix(12))", "port": "\(spare.hostPort)",
                    "sandbox": "\(spare.id.prefix(12))",
                ]
            )
            report.containerID = id
            report.containerAddress = box.ipAddress
            return (id, spare.hostPort)
        } catch {
            _ = try? await applied
            if let created { try? await docker.remove(container: created) }
            await removeSandbox(spare.id)
            history.startFailed(instance, reason: "\(step): \(Self.message(error))")
            try await report.write(state: .failed, port: spare.hostPort)
            throw error
        }
    }

    /// Removes a sandbox whose container is gone (or never made).
    func removeSandbox(_ id: String) async {
        try? await docker.remove(container: id)
        firewall.forget(container: id)
        sandboxes?.release(id)
    }
}

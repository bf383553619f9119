import Foundation
import Logging
import Reconciler
import Synchronization
import ZKModel
import ZooKeeper

/// Converges one Deploy's placement: reads the Deploy, its current release, its placement, the
/// live supervisors and instance health; asks `PlacementPlanner` what to change; writes the
/// placement and the assignments it adds and removes in one fenced transaction; reports.
struct DeployReconciler: Reconciler {
    let tree: ZNodeTree
    let caches: SchedulerCaches
    let leadership: LeaderElection.Leadership
    let grace: Duration
    let logger: Logger
    let missing = HostLossTracker()
    var planner = PlacementPlanner()

    var statuses: StatusWriter { StatusWriter(zk: leadership.zk, tree: tree, reconciler: "scheduler") }

    func reconcile(key deploy: String) async throws -> ReconcileResult {
        let statusKey = DocumentKey(kind: .deploy, name: deploy)
        let placementNode = caches.placements.snapshot(deploy)
        let placement =
            placementNode.flatMap {
                try? Payload.decode(Placement.self, from: $0.data, path: tree.placement(deploy: deploy))
            } ?? Placement(deploy: deploy)
        guard let deployNode = caches.deploys.snapshot(deploy),
            let value = try? JSONValue.parse(String(decoding: deployNode.data, as: UTF8.self)),
            let document = try? DocumentValidator().validate(value).get(),
            let spec = try? document.decodeSpec(DeploySpec.self)
        else {
            try await teardown(deploy, placement: placement, version: placementNode?.stat.version)
            try await statuses.delete(statusKey)
            return .done
        }
        let generation = Int(deployNode.stat.version) + 1
        guard let pointerNode = caches.pointers.snapshot(deploy),
            let pointer = try? Payload.decode(
                ReleasePointer.self,
                from: pointerNode.data,
                path: tree.releases(deploy: deploy)
            )
        else {
            try await statuses.write(
                statusKey,
                observedGeneration: generation,
                conditions: [
                    .notReady(
                        reason: "NoRelease",
                        message: spec.image == nil
                            ? "no image yet (builds are not implemented)" : "waiting for its first release"
                    )
                ]
            )
            return .done
        }

        // Hosts, their free capacity (every placed instance counted), and the ones lost.
        let registrations = caches.supervisors.allKeys().compactMap { key in
            caches.supervisors.snapshot(key).flatMap {
                try? Payload.decode(SupervisorRegistration.self, from: $0.data, path: tree.supervisor(key))
            }
        }
        var hosts: [String: PlacementPlanner.Host] = [:]
        for r in registrations {
            hosts[r.id] = .init(
                id: r.id,
                zone: r.zone,
                freeCPU: r.capacity.cpu,
                freeMemoryMB: r.capacity.memoryMB,
                freeSlots: r.capacity.containers
            )
        }
        for key in caches.placements.allKeys() {
            guard let node = caches.placements.snapshot(key),
                let other = try? Payload.decode(Placement.self, from: node.data, path: tree.placement(deploy: key))
            else { continue }
            let otherSpec = key == deploy ? spec : caches.deploys.snapshot(key).flatMap { Self.spec($0.data) }
            for instance in other.instances where hosts[instance.host] != nil {
                hosts[instance.host]!.freeSlots -= 1
                hosts[instance.host]!.freeCPU -= otherSpec?.cpu ?? 0
                hosts[instance.host]!.freeMemoryMB -= otherSpec?.memoryMB ?? 0
            }
        }
        let placedHosts = Set(placement.instances.map(\.host))
        let (lost, waitingFor) = missing.update(
            absent: placedHosts.subtracting(hosts.keys),
            live: Set(hosts.keys),
            grace: grace
        )

        // Serving: reported healthy and routed; ready: healthy, routed or warm.
        var healthy = Set<String>()
        var ready = Set<String>()
        for instance in placement.instances {
            guard let node = caches.instances.snapshot(instance.id),
                let status = try? Payload.decode(
                    InstanceStatus.self,
                    from: node.data,
                    path: tree.instanceStatus(instance.id)
                ),
                status.healthy
            else { continue }
            ready.insert(instance.id)
            if status.serving && !instance.isStandby { healthy.insert(instance.id) }
        }
        let rollout = spec.rolloutSettings
        let now = Date().timeIntervalSince1970
        let input = PlacementPlanner.Input(
            deploy: deploy,
            desired: spec.instances,
            maxSurge: rollout.maxSurge,
            maxUnavailable: rollout.maxUnavailable,
            deadlineSeconds: Double(rollout.progressDeadlineSeconds),
            keepWarmSeconds: Double(rollout.keepWarmSeconds),
            release: pointer.current,
            placement: placement,
            hosts: Array(hosts.values),
            lostHosts: lost,
            healthy: healthy,
            ready: ready,
            cpu: spec.cpu ?? 0,
            memoryMB: spec.memoryMB ?? 0,
            zonesOnly: spec.zones?.only,
            now: now
        )
        let decision = planner.plan(input)
        if let failed = decision.rolledBack {
            logger.warning(
                "scheduler.rolled_back",
                metadata: ["deploy": "\(deploy)", "release": "\(failed)", "to": "\(decision.placement.target ?? 0)"]
            )
        }
        if decision.placement != placement || placementNode == nil {
            try await write(decision, version: placementNode?.stat.version, lostHosts: lost)
        }
        try await report(
            deploy,
            spec: spec,
            pointer: pointer,
            decision: decision,
            healthy: healthy,
            generation: generation
        )
        if !decision.complete { return .requeue(after: .seconds(1)) }
        let expiry = decision.nextExpiry.map { Duration.milliseconds(Int64(max(0, $0 - now) * 1000) + 50) }
        if let next = [waitingFor, expiry].compactMap({ $0 }).min() { return .requeue(after: next) }
        return .done
    }

    static func spec(_ data: [UInt8]) -> DeploySpec? {
        guard let value = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            let document = try? DocumentValidator().validate(value).get()
        else { return nil }
        return try? document.decodeSpec(DeploySpec.self)
    }

    private func write(_ decision: PlacementPlanner.Decision, version: Int32?, lostHosts: Set<String>) async throws {
        let zk = leadership.zk
        var ops: [ZooKeeper.Operation] = []
        for instance in decision.removed {
            let path = tree.assignment(host: instance.host, instance: instance.id)
            if try await zk.exists(path) != nil { ops.append(.delete(path: path, version: -1)) }
            // A lost host's supervisor cannot retract its reports: routers must stop using them.
            let status = tree.instanceStatus(instance.id)
            if lostHosts.contains(instance.host), try await zk.exists(status) != nil {
                ops.append(.delete(path: status, version: -1))
            }
        }
        for instance in decision.added + decision.changed {
            guard let release = try await caches.releases.release(decision.placement.deploy, instance.release) else {
                throw ReconcileFailure("release \(instance.release) of \(decision.placement.deploy) is missing")
            }
            var assignment = release.assignment(instance: instance.id)
            assignment.standby = instance.standby
            let path = tree.assignment(host: instance.host, instance: instance.id)
            let data = try Payload.encode(assignment)
            if decision.changed.contains(instance) {
                ops.append(.setData(path: path, data: data, version: -1))
            } else {
                try await zk.ensurePath(tree.assignments(host: instance.host))
                ops.append(.create(path: path, data: data))
            }
        }
        let body = try Payload.encode(decision.placement)
        let path = tree.placement(deploy: decision.placement.deploy)
        if let version {
            ops.append(.setData(path: path, data: body, version: version))
        } else {
            try await zk.ensurePath(tree.placements)
            ops.append(.create(path: path, data: body))
        }
        try await leadership.multi(ops)
        logger.info(
            "scheduler.placed",
            metadata: [
                "deploy": "\(decision.placement.deploy)", "added": "\(decision.added.map { "\($0.id)@\($0.host)" })",
                "removed": "\(decision.removed.map(\.id))",
                "standby": "\(decision.changed.map { "\($0.id)=\($0.isStandby)" })",
            ]
        )
    }

    /// No Deploy any more: its assignments and placement go, in one transaction.
    private func teardown(_ deploy: String, placement: Placement, version: Int32?) async throws {
        guard let version else { return }
        var ops: [ZooKeeper.Operation] = []
        for instance in placement.instances {
            let path = tree.assignment(host: instance.host, instance: instance.id)
            if try await leadership.zk.exists(path) != nil { ops.append(.delete(path: path, version: -1)) }
        }
        ops.append(.delete(path: tree.placement(deploy: deploy), version: version))
        try await leadership.multi(ops)
        logger.info(
            "scheduler.torn_down",
            metadata: ["deploy": "\(deploy)", "instances": "\(placement.instances.count)"]
        )
    }

    private func report(
        _ deploy: String,
        spec: DeploySpec,
        pointer: ReleasePointer,
        decision: PlacementPlanner.Decision,
        healthy: Set<String>,
        generation: Int
    ) async throws {
        let target = decision.placement.target ?? pointer.current
        let active = decision.placement.instances.filter { !$0.isStandby }
        let current = active.filter { $0.release == target }
        var zones: [String: Int] = [:]
        for i in active { zones[i.zone, default: 0] += 1 }
        let rollout = ObjectStatus.Rollout(
            release: pointer.current,
            target: target,
            desired: spec.instances,
            healthy: current.filter { healthy.contains($0.id) }.count,
            old: active.count - current.count,
            zones: zones,
            complete: decision.complete
        )
        let zoneText = zones.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
        let ready: ObjectStatus.Condition
        if target != pointer.current {
            ready = .notReady(
                reason: "RolledBack",
                message:
                    "release \(pointer.current) did not become healthy in time; running release \(target) (\(rollout.healthy)/\(spec.instances) healthy)"
            )
        } else if decision.complete {
            ready = .ready(
                reason: "RolledOut",
                message: "release \(target): \(spec.instances)/\(spec.instances) healthy; zones \(zoneText)"
            )
        } else if decision.shortage != nil {
            ready = .notReady(
                reason: "InsufficientCapacity",
                message: decision.shortage ?? ""
            )
        } else {
            ready = .notReady(
                reason: "Progressing",
                message:
                    "release \(target): \(rollout.healthy)/\(spec.instances) healthy, \(rollout.old) of other releases; zones \(zoneText)"
            )
        }
        try await statuses.write(
            DocumentKey(kind: .deploy, name: deploy),
            observedGeneration: generation,
            conditions: [ready],
            lastError: decision.shortage,
            rollout: rollout
        )
    }
}

/// When each absent host was first seen absent: a host is lost after the grace period.
final class HostLossTracker: Sendable {
    private let since = Mutex([String: ContinuousClock.Instant]())

    /// The lost hosts among `absent`, and how long until the next one would be.
    func update(absent: Set<String>, live: Set<String>, grace: Duration) -> (lost: Set<String>, next: Duration?) {
        since.withLock { s in
            let now = ContinuousClock.now
            for host in s.keys where live.contains(host) { s[host] = nil }
            for host in absent where s[host] == nil { s[host] = now }
            var lost = Set<String>()
            var next: Duration?
            for host in absent {
                let left = s[host]! + grace - now
                if left <= .zero { lost.insert(host) } else { next = min(next ?? left, left) }
            }
            return (lost, next)
        }
    }
}

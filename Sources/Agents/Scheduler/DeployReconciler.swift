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
    /// Placement decisions one at a time, each seeing the ones before it (capacity).
    let placing = AsyncLock()
    var planner = PlacementPlanner()

    var statuses: StatusWriter {
        StatusWriter(
            zk: leadership.zk,
            tree: tree,
            reconciler: "scheduler",
            fence: leadership,
            memory: caches.statusMemory
        )
    }

    func reconcile(key deploy: String) async throws -> ReconcileResult {
        let statusKey = DocumentKey(kind: .deploy, name: deploy)
        let placementNode = caches.placements.snapshot(deploy)
        let deployNode = caches.deploys.snapshot(deploy)
        let generation = deployNode.map { Int($0.stat.version) + 1 } ?? 0
        // An unreadable document is reported and left alone: never taken for a deletion (a newer
        // manager may have written it) and never replaced (its assignments would be orphaned).
        var placement = Placement(deploy: deploy)
        if let placementNode {
            do {
                placement = try Payload.decode(
                    Placement.self,
                    from: placementNode.data,
                    path: tree.placement(deploy: deploy)
                )
            } catch {
                throw try await unreadable(statusKey, generation: generation, "\(error)", exists: deployNode != nil)
            }
        }
        guard let deployNode else {
            try await teardown(deploy, placement: placement, version: placementNode?.stat.version)
            try await statuses.delete(statusKey)
            return .done
        }
        let spec: DeploySpec
        do {
            spec = try Self.readSpec(deployNode.data, path: tree.desired(statusKey))
        } catch {
            throw try await unreadable(statusKey, generation: generation, error.message, exists: true)
        }
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

        let placed = try await placing.withLock {
            try await place(deploy, spec: spec, pointer: pointer, placement: placement, placementNode: placementNode)
        }
        let (decision, healthy, now) = (placed.decision, placed.healthy, placed.now)
        try await report(
            deploy,
            spec: spec,
            pointer: pointer,
            decision: decision,
            healthy: healthy,
            generation: generation
        )
        // Nothing is polled: health changes, hosts coming and going and Deploy changes are events.
        // Only time brings these: a warm instance's expiry, a host counting as lost, the deadline
        // of a release that is not yet healthy (then it is rolled back), and room elsewhere.
        let seconds: (Double) -> Duration = { .milliseconds(Int64(max(0, $0 - now) * 1000) + 50) }
        let expiry = decision.nextExpiry.map(seconds)
        var deadline: Duration?
        if !decision.complete, let since = decision.placement.targetSince, decision.placement.stable != nil,
            decision.placement.stable != decision.placement.target
        {
            deadline = seconds(since + Double(spec.rolloutSettings.progressDeadlineSeconds))
        }
        // Short of capacity: room made by another Deploy's change is an event of that Deploy, not
        // of this one, so look again soon.
        let short: Duration? = decision.shortage == nil ? nil : .seconds(2)
        if let next = [placed.waitingFor, expiry, deadline, short].compactMap({ $0 }).min() {
            return .requeue(after: next)
        }
        return .done
    }

    /// What `place` decided and saw.
    struct Placed: Sendable {
        var decision: PlacementPlanner.Decision
        /// The instances serving (healthy, routed, reported by their supervisor's live session).
        var healthy: Set<String>
        /// Until the next placed host would count as lost.
        var waitingFor: Duration?
        /// When the decision was made (seconds since 1970).
        var now: Double
    }

    /// Decides the placement from the live hosts and every placement (including the ones just
    /// written) and writes it; under `placing`, so two Deploys never take the same last slot.
    private func place(
        _ deploy: String,
        spec: DeploySpec,
        pointer: ReleasePointer,
        placement: Placement,
        placementNode: NodeSnapshot?
    ) async throws -> Placed {
        // Hosts, their free capacity (every placed instance counted), and the ones lost.
        let registrations = caches.decodedSupervisors.all().map(\.value)
        var hosts: [String: PlacementPlanner.Host] = [:]
        let used = caches.hostUsage.current()
        for r in registrations {
            let use = used[r.id] ?? HostUsage.Use()
            hosts[r.id] = .init(
                id: r.id,
                zone: r.zone,
                freeCPU: r.capacity.cpu - use.cpu,
                freeMemoryMB: r.capacity.memoryMB - use.memoryMB,
                freeSlots: r.capacity.containers - use.slots
            )
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
            guard let status = caches.decodedStatuses.value(instance.id),
                status.healthy,
                isCurrent(status)
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
        return Placed(decision: decision, healthy: healthy, waitingFor: waitingFor, now: now)
    }

    /// A status counts only when written by the session that holds its supervisor's registration
    /// now: one left by an earlier process (or a lost host) is not health.
    func isCurrent(_ status: InstanceStatus) -> Bool {
        let owner = status.supervisor.flatMap { caches.supervisors.snapshot($0)?.stat.ephemeralOwner }
        return status.isCurrent(registrationOwner: owner)
    }

    static func spec(_ data: [UInt8]) -> DeploySpec? {
        try? readSpec(data, path: "")
    }

    /// The Deploy in `data`, parsed, validated and decoded; the error says which step failed.
    static func readSpec(_ data: [UInt8], path: String) throws(TerminalError) -> DeploySpec {
        let value: JSONValue
        do {
            value = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw TerminalError("\(path) is not JSON: \(error)")
        }
        let document: Document
        switch DocumentValidator().validate(value) {
        case .success(let d): document = d
        case .failure(let invalid): throw TerminalError("\(path) is invalid: \(invalid)")
        }
        do {
            return try document.decodeSpec(DeploySpec.self)
        } catch {
            throw TerminalError("\(path) cannot be decoded: \(error)")
        }
    }

    /// Reports a Deploy (or its placement) that cannot be read, and returns the error to end the
    /// pass with: nothing is placed, replaced or torn down until the document is readable again.
    private func unreadable(
        _ key: DocumentKey,
        generation: Int,
        _ message: String,
        exists: Bool
    ) async throws -> TerminalError {
        let text = "\(message); placement and instances are left as they are until it is fixed"
        logger.error("scheduler.unreadable", metadata: ["deploy": "\(key.name)", "error": "\(text)"])
        if exists {
            try await statuses.write(
                key,
                observedGeneration: generation,
                conditions: [.notReady(reason: "Unreadable", message: text)],
                lastError: text
            )
        }
        return TerminalError(text)
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
        let results = try await leadership.multi(ops)
        // The next decision (of any Deploy) must count this one: wait until the cache shows it.
        let written: Int32
        if case .set(let stat)? = results.last { written = stat.version } else { written = 0 }
        let deploy = decision.placement.deploy
        if await !caches.placements.wait(for: deploy, timeout: .seconds(2), until: { $0?.stat.version == written }) {
            logger.warning("scheduler.cache_lagging", metadata: ["deploy": "\(deploy)"])
        }
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
            // A live supervisor retires its instance and deletes its status; a gone one cannot.
            let status = tree.instanceStatus(instance.id)
            if caches.supervisors.snapshot(instance.host) == nil, try await leadership.zk.exists(status) != nil {
                ops.append(.delete(path: status, version: -1))
            }
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

import ZKModel

/// Decides, for one Deploy, which instances to add and remove now: zone spread first (every
/// zone of the deploy gets its share, kept on scale-down, rollouts and host loss), then hosts,
/// within capacity; rolling updates with surge and unavailability budgets; automatic rollback
/// when a release is not healthy within its deadline. Pure: the scheduler feeds it what it read.
struct PlacementPlanner: Sendable {
    struct Host: Sendable, Hashable {
        var id: String
        var zone: String
        /// Free capacity, with every instance already placed on it (all deploys) counted.
        var freeCPU: Double
        var freeMemoryMB: Int
        var freeSlots: Int
    }

    struct Input: Sendable {
        var deploy: String
        var desired: Int
        var maxSurge: Int
        var maxUnavailable: Int
        var deadlineSeconds: Double
        /// How long replaced instances stay warm (running, not routed) for a fast rollback; 0: stop them.
        var keepWarmSeconds: Double = 0
        /// The release the pointer names.
        var release: Int
        var placement: Placement
        /// Live hosts (registered now), with their free capacity.
        var hosts: [Host]
        /// Hosts gone for longer than the grace period: their instances are replaced.
        var lostHosts: Set<String>
        /// Instances that pass their health check and are routed (reported healthy, not standby).
        var healthy: Set<String>
        /// Instances that pass their health check, routed or standby.
        var ready: Set<String> = []
        var cpu: Double
        var memoryMB: Int
        var zonesOnly: [String]?
        var now: Double
    }

    struct Decision: Sendable {
        var placement: Placement
        var added: [Placement.Instance] = []
        var removed: [Placement.Instance] = []
        /// Instances whose standby flag changed (their assignments are rewritten).
        var changed: [Placement.Instance] = []
        /// Why some instances could not be placed.
        var shortage: String?
        /// A release given up on in this pass.
        var rolledBack: Int?
        var complete = false
        /// When the next warm instance expires (unix seconds).
        var nextExpiry: Double?
    }

    var newID: @Sendable (String) -> String = { deploy in
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "\(deploy.prefix(50))-" + String((0..<5).map { _ in alphabet.randomElement()! })
    }

    func plan(_ input: Input) -> Decision {
        var d = Decision(placement: input.placement)
        var hosts = Dictionary(uniqueKeysWithValues: input.hosts.map { ($0.id, $0) })
        let serving = input.healthy
        let ready = input.ready.union(input.healthy)

        // Instances on lost hosts are gone: drop them (replacements follow below).
        for instance in d.placement.instances where input.lostHosts.contains(instance.host) {
            d.removed.append(instance)
        }
        d.placement.instances.removeAll { input.lostHosts.contains($0.host) }

        // Which release to converge to.
        var target = input.release
        if d.placement.failed.contains(input.release), let stable = d.placement.stable { target = stable }
        if d.placement.target != target {
            d.placement.target = target
            d.placement.targetSince = input.now
        }
        func active(_ release: Int, _ equal: Bool) -> [Placement.Instance] {
            d.placement.instances.filter { !$0.isStandby && ($0.release == release) == equal }
        }
        var current = active(target, true)
        var old = active(target, false)
        let settled = old.isEmpty && current.count == input.desired && current.allSatisfy { serving.contains($0.id) }
        if !settled, target == input.release, let stable = d.placement.stable, stable != target,
            input.now - (d.placement.targetSince ?? input.now) > input.deadlineSeconds
        {
            d.placement.failed.append(target)
            d.rolledBack = target
            target = stable
            d.placement.target = target
            d.placement.targetSince = input.now
            current = active(target, true)
            old = active(target, false)
        }

        func remove(_ instance: Placement.Instance) {
            d.placement.instances.removeAll { $0.id == instance.id }
            d.removed.append(instance)
            if var host = hosts[instance.host] {
                host.freeSlots += 1
                host.freeCPU += input.cpu
                host.freeMemoryMB += input.memoryMB
                hosts[instance.host] = host
            }
        }
        func setStandby(_ instance: Placement.Instance, _ standby: Bool) {
            guard let index = d.placement.instances.firstIndex(where: { $0.id == instance.id }) else { return }
            d.placement.instances[index].standby = standby ? true : nil
            d.placement.instances[index].standbySince = standby ? input.now : nil
            d.changed.append(d.placement.instances[index])
        }
        let zones = Set(input.hosts.map(\.zone)).filter { zone in input.zonesOnly.map { $0.contains(zone) } ?? true }

        // Warm instances of the target release (a rollback, an undo): routed again at once,
        // in place of new ones. Others expire after keepWarmSeconds, or when unhealthy.
        for instance in d.placement.instances where instance.isStandby {
            if instance.release == target, current.count < input.desired, ready.contains(instance.id) {
                setStandby(instance, false)
                current.append(instance)
            } else if !ready.contains(instance.id) || input.now - (instance.standbySince ?? 0) >= input.keepWarmSeconds
            {
                remove(instance)
            }
        }

        // Too many of the target release (scale-down, or the surplus of a rebalance): remove from
        // the fullest zone, then the fullest host, unhealthy ones first; never a healthy one
        // while that would leave fewer healthy than desired (a rebalance waits for its new one).
        while current.count > input.desired, let victim = Self.fullest(current, healthy: serving) {
            let healthyNow = current.filter { serving.contains($0.id) }.count
            if serving.contains(victim.id) && healthyNow - 1 < input.desired { break }
            remove(victim)
            current.removeAll { $0.id == victim.id }
        }

        // Old releases: unhealthy ones go at once; healthy ones while availability allows — kept
        // warm (running, not routed) when the deploy asks for it, for a rollback in milliseconds.
        for instance in old where !serving.contains(instance.id) {
            remove(instance)
        }
        old.removeAll { !serving.contains($0.id) }
        let minimumAvailable = max(0, input.desired - input.maxUnavailable)
        let servingCurrent = current.filter { serving.contains($0.id) }.count
        var available = servingCurrent + old.count
        for instance in Self.spreadOrder(old, among: d.placement.instances)
        where available - 1 >= minimumAvailable || servingCurrent >= input.desired {
            if input.keepWarmSeconds > 0 { setStandby(instance, true) } else { remove(instance) }
            old.removeAll { $0.id == instance.id }
            available -= 1
        }

        // New instances of the target release, within the surge budget, spread over zones.
        let missing = input.desired - current.count
        let room = old.isEmpty ? missing : max(0, input.desired + input.maxSurge - current.count - old.count)
        var unplaced = 0
        for _ in 0..<max(0, min(missing, room)) {
            guard
                let host = Self.choose(
                    zones: zones,
                    hosts: Array(hosts.values),
                    placed: current,
                    cpu: input.cpu,
                    memoryMB: input.memoryMB
                )
            else {
                unplaced += 1
                continue
            }
            let instance = Placement.Instance(id: newID(input.deploy), host: host.id, zone: host.zone, release: target)
            d.placement.instances.append(instance)
            d.added.append(instance)
            current.append(instance)
            hosts[host.id]?.freeSlots -= 1
            hosts[host.id]?.freeCPU -= input.cpu
            hosts[host.id]?.freeMemoryMB -= input.memoryMB
        }
        if unplaced > 0 {
            // Warm instances give their room back first; the next pass places into it.
            let warm = d.placement.instances.filter { $0.isStandby && $0.release != target }
            warm.forEach(remove)
            if warm.isEmpty {
                d.shortage =
                    zones.isEmpty
                    ? "no live supervisor\(input.zonesOnly.map { " in zones \($0.joined(separator: ", "))" } ?? "")"
                    : "\(unplaced) of \(input.desired) instances could not be placed: no live host has room for one more "
                        + "(\(input.cpu) cpu, \(input.memoryMB) MB, a container slot) in zones \(zones.sorted().joined(separator: ", "))"
            }
        }

        // Spread kept after a host loss or a return: when settled and one zone holds two more
        // than another that has room, start one more in the emptiest zone; the scale-down step
        // then removes one from the fullest once the new one is healthy.
        let servingAfter = current.filter { serving.contains($0.id) }.count
        if old.isEmpty, current.count == input.desired, servingAfter == input.desired, d.added.isEmpty,
            d.removed.isEmpty, d.changed.isEmpty
        {
            let counts = Self.zoneCounts(current, zones: zones)
            if let most = counts.max(by: { $0.value < $1.value }),
                let least = counts.min(by: { ($0.value, $0.key) < ($1.value, $1.key) }),
                most.value - least.value > 1,
                let host = Self.choose(
                    zones: [least.key],
                    hosts: Array(hosts.values),
                    placed: current,
                    cpu: input.cpu,
                    memoryMB: input.memoryMB
                )
            {
                let instance = Placement.Instance(
                    id: newID(input.deploy),
                    host: host.id,
                    zone: host.zone,
                    release: target
                )
                d.placement.instances.append(instance)
                d.added.append(instance)
            }
        }

        let finalActive = d.placement.instances.filter { !$0.isStandby }
        d.complete =
            finalActive.count == input.desired
            && finalActive.allSatisfy { $0.release == target && serving.contains($0.id) }
        if d.complete { d.placement.stable = target }
        d.nextExpiry = d.placement.instances.compactMap {
            $0.isStandby ? ($0.standbySince ?? 0) + input.keepWarmSeconds : nil
        }.min()
        return d
    }

    /// Zones by instance count (zones with none included).
    static func zoneCounts(_ instances: [Placement.Instance], zones: Set<String>) -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: zones.map { ($0, 0) })
        for i in instances { counts[i.zone, default: 0] += 1 }
        return counts
    }

    /// The host for one more instance: the zone with the fewest of this deploy's instances that
    /// has a host with room, then in it the host with the fewest, then the most free slots.
    static func choose(
        zones: Set<String>,
        hosts: [Host],
        placed: [Placement.Instance],
        cpu: Double,
        memoryMB: Int
    ) -> Host? {
        let counts = zoneCounts(placed, zones: zones)
        var perHost: [String: Int] = [:]
        for i in placed { perHost[i.host, default: 0] += 1 }
        for zone in zones.sorted(by: { (counts[$0] ?? 0, $0) < (counts[$1] ?? 0, $1) }) {
            let fitting = hosts.filter {
                $0.zone == zone && $0.freeSlots >= 1 && $0.freeCPU + 1e-9 >= cpu && $0.freeMemoryMB >= memoryMB
            }
            if let best = fitting.min(by: {
                (perHost[$0.id] ?? 0, -$0.freeSlots, $0.id) < (perHost[$1.id] ?? 0, -$1.freeSlots, $1.id)
            }) {
                return best
            }
        }
        return nil
    }

    /// The instance to remove first: from the zone with the most, then the host with the most,
    /// unhealthy before healthy.
    static func fullest(_ instances: [Placement.Instance], healthy: Set<String>) -> Placement.Instance? {
        var zoneCount: [String: Int] = [:]
        var hostCount: [String: Int] = [:]
        for i in instances {
            zoneCount[i.zone, default: 0] += 1
            hostCount[i.host, default: 0] += 1
        }
        return instances.max {
            (zoneCount[$0.zone]!, hostCount[$0.host]!, healthy.contains($0.id) ? 0 : 1, $0.id)
                < (zoneCount[$1.zone]!, hostCount[$1.host]!, healthy.contains($1.id) ? 0 : 1, $1.id)
        }
    }

    /// `candidates` in removal order: from the zone, then the host, holding the most of `all`
    /// (old and new), so the spread holds while a rollout replaces them.
    static func spreadOrder(_ candidates: [Placement.Instance], among all: [Placement.Instance]) -> [Placement.Instance]
    {
        var rest = candidates
        var everyone = all
        var order: [Placement.Instance] = []
        while !rest.isEmpty {
            var zoneCount: [String: Int] = [:]
            var hostCount: [String: Int] = [:]
            for i in everyone {
                zoneCount[i.zone, default: 0] += 1
                hostCount[i.host, default: 0] += 1
            }
            let next = rest.max {
                (zoneCount[$0.zone] ?? 0, hostCount[$0.host] ?? 0, $0.id) < (
                    zoneCount[$1.zone] ?? 0, hostCount[$1.host] ?? 0, $1.id
                )
            }!
            order.append(next)
            rest.removeAll { $0.id == next.id }
            everyone.removeAll { $0.id == next.id }
        }
        return order
    }
}

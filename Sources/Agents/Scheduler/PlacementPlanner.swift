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

    /// One pass, phase by phase (each in `PlacementPlanner.Pass`).
    func plan(_ input: Input) -> Decision {
        var pass = Pass(input: input, newID: newID)
        pass.dropLostHosts()
        pass.chooseTarget()
        pass.reviveOrExpireWarmInstances()
        pass.trimSurplus()
        pass.retireOldReleases()
        pass.placeMissing()
        pass.rebalanceZones()
        return pass.finish()
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

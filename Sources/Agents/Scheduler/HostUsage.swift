import Reconciler
import Synchronization
import ZKModel

/// What the placed instances of every Deploy take of each host (slots, cpu, memory), derived from
/// the placements and the Deploys' limits and recomputed only when either folder changed: a
/// reconcile of one Deploy among 1,000 with nothing changed does not walk every placement.
final class HostUsage: Sendable {
    struct Use: Sendable, Hashable {
        var slots = 0
        var cpu: Double = 0
        var memoryMB = 0
    }

    let placements: DecodedNodes<Placement>
    let specs: DecodedNodes<DeploySpec>
    private let cached = Mutex<(placements: Int, specs: Int, use: [String: Use])?>(nil)

    init(placements: DecodedNodes<Placement>, specs: DecodedNodes<DeploySpec>) {
        self.placements = placements
        self.specs = specs
    }

    /// Each host's use, as the caches hold now.
    func current() -> [String: Use] {
        let revisions = (placements.cache.revision, specs.cache.revision)
        if let known = cached.withLock({ $0 }), known.placements == revisions.0, known.specs == revisions.1 {
            return known.use
        }
        var use: [String: Use] = [:]
        for (deploy, placement) in placements.all() {
            let spec = specs.value(deploy)
            for instance in placement.instances {
                use[instance.host, default: Use()].slots += 1
                use[instance.host, default: Use()].cpu += spec?.cpu ?? 0
                use[instance.host, default: Use()].memoryMB += spec?.memoryMB ?? 0
            }
        }
        cached.withLock { $0 = (revisions.0, revisions.1, use) }
        return use
    }
}

import Reconciler
import Synchronization
import ZKModel

/// Which Deploy places each instance (from the placements): an instance's status change
/// reconciles its own Deploy only, not every Deploy.
final class InstanceIndex: Sendable {
    let placements: DecodedNodes<Placement>
    /// Instance → Deploy, as of the placements' `revision`.
    private let index = Mutex<(revision: Int, deploys: [String: String])>((-1, [:]))

    init(placements: DecodedNodes<Placement>) {
        self.placements = placements
    }

    /// The Deploy placing `instance`; the placements are looked at again only when they changed
    /// since the index was built (an instance placed since), nil when none places it (its Deploy
    /// was torn down, or it was retired: each such status event costs a lookup, not a rebuild).
    func deploy(of instance: String) -> String? {
        let revision = placements.cache.revision
        let known = index.withLock { $0 }
        if let deploy = known.deploys[instance] { return deploy }
        if known.revision == revision { return nil }
        var deploys: [String: String] = [:]
        for (deploy, placement) in placements.all() {
            for placed in placement.instances { deploys[placed.id] = deploy }
        }
        index.withLock { $0 = (revision, deploys) }
        return deploys[instance]
    }
}

import Synchronization
import ZKModel

/// Which Deploy places each instance (from the placements): an instance's status change
/// reconciles its own Deploy only, not every Deploy.
final class InstanceIndex: Sendable {
    let placements: DecodedNodes<Placement>
    private let deploys = Mutex<[String: String]>([:])

    init(placements: DecodedNodes<Placement>) {
        self.placements = placements
    }

    /// The Deploy placing `instance`; the placements are looked at again when it is not known
    /// (an instance placed since), nil when none places it (its Deploy was torn down).
    func deploy(of instance: String) -> String? {
        if let deploy = deploys.withLock({ $0[instance] }) { return deploy }
        var index: [String: String] = [:]
        for (deploy, placement) in placements.all() {
            for placed in placement.instances { index[placed.id] = deploy }
        }
        deploys.withLock { $0 = index }
        return index[instance]
    }
}

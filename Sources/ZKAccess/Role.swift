/// The identities a cluster's processes take in ZooKeeper, one per role: each may write only
/// its own part of the tree (`AccessPolicy`).
public enum Role: String, Codable, Sendable, CaseIterable, Hashable {
    /// Desired state, releases, audit, tokens, secrets.
    case manager
    /// Placements, assignments, Deploy status, its election.
    case scheduler
    /// Registrations and the status of instances.
    case supervisor
    /// Router reports.
    case router
    /// Build outcomes, built images, source revisions, build leases and its registration.
    case builder

    /// The digest user name of the role.
    public var user: String { "atlantis-\(rawValue)" }
}

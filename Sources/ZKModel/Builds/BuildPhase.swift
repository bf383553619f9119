/// Where a build is: queued until a builder leases it, then fetching, building, pushing, and
/// one of the three ends.
public enum BuildPhase: String, Codable, Hashable, Sendable, CaseIterable {
    case queued, fetching, building, pushing, succeeded, failed, cancelled

    /// Whether the build is over (nothing will change it again).
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

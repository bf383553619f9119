/// Which instance reports a router has seen confirmed by their supervisor's live session at its
/// last table build, and since when each report it once saw confirmed is not: what the lost
/// grace (`RouterAgent.lostGrace`) is counted from. A set and a small dictionary: at 50,000
/// reports, one dictionary of optional instants was 5 MiB.
struct Confirmations: Sendable {
    var confirmed: Set<String> = []
    var lost: [String: ContinuousClock.Instant] = [:]

    mutating func confirm(_ key: String) {
        confirmed.insert(key)
        lost[key] = nil
    }

    mutating func forget(_ key: String) {
        confirmed.remove(key)
        lost[key] = nil
    }

    /// Whether the report was once seen confirmed (confirmed now, or lost less than a grace ago).
    func knows(_ key: String) -> Bool { confirmed.contains(key) || lost[key] != nil }

    /// Since when a report once confirmed is not (`now` if it was confirmed at the last build);
    /// nil for one never seen confirmed.
    func lostSince(_ key: String, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        confirmed.contains(key) ? now : lost[key]
    }
}

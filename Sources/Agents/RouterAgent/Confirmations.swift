/// Which instance reports a router has seen confirmed by their supervisor's live session at its
/// last table build, and since when each report it once saw confirmed is not: what the lost
/// grace (`RouterAgent.lostGrace`) is counted from. A set and a small dictionary: at 50,000
/// reports, one dictionary of optional instants was 5 MiB.
struct Confirmations: Sendable {
    var confirmed: Set<String> = []
    var lost: [String: ContinuousClock.Instant] = [:]

    mutating func confirm(_ key: String) {
        confirmed.insert(key)
        unlose(key)
    }

    mutating func forget(_ key: String) {
        confirmed.remove(key)
        unlose(key)
    }

    /// Takes `key` off `lost`. A dictionary keeps its buckets when emptied: after a supervisor's
    /// session ended with 50,000 reports (all of them lost at once, then confirmed again under
    /// its next session) it held 4 MiB for none, so an emptied one that grew large is given back.
    private mutating func unlose(_ key: String) {
        guard lost.removeValue(forKey: key) != nil else { return }
        if lost.isEmpty, lost.capacity > 1024 { lost = [:] }
    }

    /// Whether the report was once seen confirmed (confirmed now, or lost less than a grace ago).
    func knows(_ key: String) -> Bool { confirmed.contains(key) || lost[key] != nil }

    /// Since when a report once confirmed is not (`now` if it was confirmed at the last build);
    /// nil for one never seen confirmed.
    func lostSince(_ key: String, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        confirmed.contains(key) ? now : lost[key]
    }
}

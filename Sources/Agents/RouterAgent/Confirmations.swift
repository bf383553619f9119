import Reconciler

/// Which instance reports a router has seen confirmed by their supervisor's live session at its
/// last table build, and since when each report it once saw confirmed is not: what the lost
/// grace (`RouterAgent.lostGrace`) is counted from. A set and a small dictionary: at 50,000
/// reports, one dictionary of optional instants was 5 MiB.
///
/// While a table base holds the last build, the reports it routes are exactly those then
/// confirmed: `confirmed` is left empty and the base's are asked for (`routed`), not held twice
/// (2 MiB at 50,000 reports).
struct Confirmations: Sendable {
    var confirmed: Set<String> = []
    var lost: [String: ContinuousClock.Instant] = [:]

    /// Takes `key` off `lost`. A dictionary keeps its buckets when emptied: after a supervisor's
    /// session ended with 50,000 reports (all of them lost at once, then confirmed again under
    /// its next session) it held 4 MiB for none, so an emptied one that grew large is given back.
    mutating func unlose(_ key: String) {
        guard lost.removeValue(forKey: key) != nil else { return }
        if lost.isEmpty, lost.capacity > 1024 { lost = [:] }
    }

    /// Whether the report was once seen confirmed (confirmed now, or lost less than a grace ago);
    /// `routed`: the reports a table base routes, when one holds the last build.
    func knows(_ key: String, routed: DenseDictionary<String, ParsedReport>? = nil) -> Bool {
        isConfirmed(key, routed: routed) || lost[key] != nil
    }

    /// Since when a report once confirmed is not (`now` if it was confirmed at the last build);
    /// nil for one never seen confirmed.
    func lostSince(
        _ key: String,
        now: ContinuousClock.Instant,
        routed: DenseDictionary<String, ParsedReport>? = nil
    ) -> ContinuousClock.Instant? {
        isConfirmed(key, routed: routed) ? now : lost[key]
    }

    private func isConfirmed(_ key: String, routed: DenseDictionary<String, ParsedReport>?) -> Bool {
        routed.map { $0[key] != nil } ?? confirmed.contains(key)
    }
}

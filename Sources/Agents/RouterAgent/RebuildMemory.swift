import Synchronization
import ZKModel

/// What a router remembers between table builds, so that one change among 10,000 pools costs
/// what changed: each pool's digest (recomputed only when its backends change), the report last
/// written (not written again unchanged), and when the table was last saved to disk (at most once
/// a second: at that size the file takes longer to write than the table to build).
final class RebuildMemory: Sendable {
    static let saveInterval = Duration.seconds(1)

    private struct State {
        var digests: [String: (backends: [String], digest: String)] = [:]
        var lastReport: (session: Int64, body: [UInt8], at: ContinuousClock.Instant)?
        var lastSave: ContinuousClock.Instant?
        var unsaved = false
    }

    private let state = Mutex(State())

    /// The digest of each app pool of `snapshot`.
    func digests(_ snapshot: TableSnapshot) -> [String: String] {
        state.withLock { s in
            var out: [String: String] = [:]
            var next: [String: (backends: [String], digest: String)] = [:]
            next.reserveCapacity(s.digests.count)
            for pool in snapshot.pools where pool.name.hasPrefix("app/") && out[pool.name] == nil {
                let digest: String
                if let old = s.digests[pool.name], old.backends == pool.backends {
                    digest = old.digest
                } else {
                    digest = RouterReport.digest(backends: pool.backends)
                }
                out[pool.name] = digest
                next[pool.name] = (pool.backends, digest)
            }
            s.digests = next
            return out
        }
    }

    /// Whether `body` should be written: it differs from what `session` last wrote, or that was
    /// 30 s ago or more (a report node removed by hand comes back).
    func reportChanged(_ body: [UInt8], session: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { s in
            guard let last = s.lastReport else { return true }
            return last.session != session || last.body != body || now - last.at >= .seconds(30)
        }
    }

    func reported(_ body: [UInt8], session: Int64, at now: ContinuousClock.Instant = .now) {
        state.withLock { $0.lastReport = (session, body, now) }
    }

    enum Save: Equatable {
        /// Save the table now.
        case now
        /// A table not yet saved: save it after this long.
        case later(Duration)
        /// Nothing to save.
        case nothing
    }

    /// After a build that swapped the table (or not): whether to save it now.
    func save(swapped: Bool, now: ContinuousClock.Instant = .now) -> Save {
        state.withLock { s in
            if swapped { s.unsaved = true }
            guard s.unsaved else { return .nothing }
            guard let last = s.lastSave, now - last < Self.saveInterval else { return .now }
            return .later(Self.saveInterval - (now - last))
        }
    }

    func saved(at now: ContinuousClock.Instant = .now) {
        state.withLock { s in
            s.lastSave = now
            s.unsaved = false
        }
    }
}

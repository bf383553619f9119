import NIOConcurrencyHelpers
public import RouterData

/// Backends that failed recently, skipped until their time is up (passive health checking).
public final class Ejections: Sendable {
    private let until = NIOLockedValueBox<[Backend: ContinuousClock.Instant]>([:])

    public init() {}

    public func eject(_ backend: Backend, for duration: Duration) {
        until.withLockedValue { $0[backend] = .now + duration }
    }

    public func isEjected(_ backend: Backend) -> Bool {
        until.withLockedValue { map in
            guard let deadline = map[backend] else { return false }
            if deadline <= .now {
                map[backend] = nil
                return false
            }
            return true
        }
    }

    /// Indexes of the pool's ejected backends.
    func ejected(in pool: Pool) -> Set<Int> {
        var out: Set<Int> = []
        for (i, b) in pool.backends.enumerated() where isEjected(b) { out.insert(i) }
        return out
    }
}

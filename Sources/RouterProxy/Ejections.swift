import NIOConcurrencyHelpers
public import RouterData
import Synchronization

/// Backends that failed recently, skipped until their time is up (passive health checking).
public final class Ejections: Sendable {
    private let until = NIOLockedValueBox<[Backend: ContinuousClock.Instant]>([:])
    /// How many backends are listed: the request path reads only this while none is.
    private let listed = Atomic<Int>(0)

    public init() {}

    public func eject(_ backend: Backend, for duration: Duration) {
        until.withLockedValue {
            $0[backend] = .now + duration
            listed.store($0.count, ordering: .releasing)
        }
    }

    public func isEjected(_ backend: Backend) -> Bool {
        until.withLockedValue { map in
            guard let deadline = map[backend] else { return false }
            if deadline <= .now {
                map[backend] = nil
                listed.store(map.count, ordering: .releasing)
                return false
            }
            return true
        }
    }

    /// Whether any backend is listed (one atomic load).
    var any: Bool { listed.load(ordering: .acquiring) > 0 }

    /// Indexes of the pool's ejected backends.
    func ejected(in pool: Pool) -> Set<Int> {
        var out: Set<Int> = []
        guard any else { return out }
        for (i, b) in pool.backends.enumerated() where isEjected(b) { out.insert(i) }
        return out
    }
}

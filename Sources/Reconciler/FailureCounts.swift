import Synchronization

/// Consecutive failures per key.
final class FailureCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func increment(_ key: String) -> Int {
        counts.withLock { c in
            c[key, default: 0] += 1
            return c[key]!
        }
    }

    func reset(_ key: String) {
        _ = counts.withLock { $0.removeValue(forKey: key) }
    }

    func count(_ key: String) -> Int {
        counts.withLock { $0[key] ?? 0 }
    }
}

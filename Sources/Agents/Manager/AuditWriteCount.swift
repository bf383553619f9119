import Synchronization

/// How many writes a manager made; shared by its copies (the service copies a manager per
/// request), so the audit folder is pruned every so many writes of the process.
final class AuditWriteCount: Sendable {
    private let count = Atomic<Int>(0)

    /// Adds one; returns how many there were before.
    func next() -> Int {
        count.add(1, ordering: .relaxed).oldValue
    }
}

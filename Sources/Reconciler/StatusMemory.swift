import Synchronization
public import ZKModel

/// The statuses one writer wrote last, by key: what `StatusWriter` compares a new status with,
/// without reading ZooKeeper first. Only for a writer that is the sole writer of its statuses
/// (a leader, for its term: a new term starts with an empty memory).
public final class StatusMemory: Sendable {
    private let statuses = Mutex<[DocumentKey: ObjectStatus]>([:])

    public init() {}

    public func status(_ key: DocumentKey) -> ObjectStatus? { statuses.withLock { $0[key] } }

    public func remember(_ status: ObjectStatus, for key: DocumentKey) {
        statuses.withLock { $0[key] = status }
    }

    public func forget(_ key: DocumentKey) {
        _ = statuses.withLock { $0.removeValue(forKey: key) }
    }
}

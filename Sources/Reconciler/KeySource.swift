/// Where a controller's keys come from: a stream of changed keys, and every key for a resync.
public protocol KeySource: Sendable {
    /// Keys whose state changed (created, changed, deleted), and all keys again after a resync
    /// of the source itself (a ZooKeeper session renewed, a stream reconnected).
    func changes() -> AsyncStream<String>
    /// Every key the source knows now.
    func allKeys() -> [String]
    /// Returns once the source has listed its state at least once; throws `CancellationError` if the
    /// waiting task is cancelled first.
    func waitUntilSynced() async throws
}

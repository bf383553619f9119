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
    /// Every key with how recently it changed (greater is newer; ZooKeeper's `mzxid` for a node):
    /// a controller's first pass takes the newest first, so the change that came last (often
    /// the one someone waits for) is not queued behind thousands of unchanged keys after a
    /// restart or a new leadership term.
    func keysByRecency() -> [(key: String, recency: Int64)]
}

extension KeySource {
    /// By default every key is equally old.
    public func keysByRecency() -> [(key: String, recency: Int64)] {
        allKeys().map { ($0, 0) }
    }
}

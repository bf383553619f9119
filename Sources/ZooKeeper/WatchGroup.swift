import Synchronization

/// Callback watches that end together: a cache that stops (a leadership term that ends) drops
/// the watches it left on nodes that never changed, instead of leaving them registered until
/// those nodes change (one more per term).
public final class WatchGroup: Sendable {
    private let ids = Mutex<Set<Int>>([])

    public init() {}

    func insert(_ id: Int) { _ = ids.withLock { $0.insert(id) } }
    func remove(_ id: Int) { _ = ids.withLock { $0.remove(id) } }

    /// Forgets every watch of the group still registered; none of their callbacks runs after this.
    public func cancelAll() {
        let all = ids.withLock { s in
            defer { s = [] }
            return s
        }
        for id in all { CallbackRegistry.shared.removeWatch(id) }
    }

    /// Watches of the group still registered.
    public var count: Int { ids.withLock { $0.count } }
}

extension ZooKeeperClient {
    /// Callback watches registered in this process and not yet fired (every client): a
    /// diagnostic, e.g. for a leak of watches.
    public static var registeredWatches: Int { CallbackRegistry.shared.watchCount }
}

internal import CZooKeeper
import Synchronization

/// One-shot watches on many nodes that share one handler (a cache's): a single registration for
/// all of them instead of one per node; when a node's watch fires, its path is handed to the
/// handler. At 50,000 watched nodes a registration per node (its closure, an id box, entries in
/// the registry and in a `WatchGroup`) was ~10 MiB of a router's heap.
///
/// The handler runs on the client's callback thread and must not block. It gets a nil path when
/// every watch armed in a session ended at once (the session expired or the client closed):
/// then every node watched through this set is to be looked at again.
public final class PathWatches: Sendable {
    let id: Int
    let registration: PathWatchRegistration

    public init(_ onEvent: @escaping @Sendable (_ path: String?, _ event: WatchEvent) -> Void) {
        registration = PathWatchRegistration(fire: onEvent)
        id = CallbackRegistry.shared.add(registration)
    }

    /// Ends the set: no handler call after this (the nodes' watches are dropped as they fire).
    public func cancel() {
        CallbackRegistry.shared.removePathWatches(id)
    }

    deinit { cancel() }
}

/// A `PathWatches` as the registry holds it: its handler and the sessions it armed watches in.
final class PathWatchRegistration: Sendable {
    let fire: @Sendable (_ path: String?, _ event: WatchEvent) -> Void
    private let sessions = Mutex<Set<UInt64>>([])

    init(fire: @escaping @Sendable (String?, WatchEvent) -> Void) {
        self.fire = fire
    }

    func armed(in session: UInt64) { _ = sessions.withLock { $0.insert(session) } }

    /// Whether a watch was armed in `session` (forgetting it: the session is over).
    func endSession(_ session: UInt64) -> Bool {
        sessions.withLock { $0.remove(session) != nil }
    }
}

extension ZooKeeperClient {
    /// Drops the watches `watches` has armed on `paths` from this client's tables (the C client
    /// keeps an entry per watched path, ~100 bytes, until the watch fires): for a set whose
    /// nodes are no longer followed, e.g. a cache that stopped. The server's side of each watch
    /// stays until it fires, and then reaches no handler; a reconnect does not arm it again.
    /// No request is sent. Returns how many of the paths had such a watch.
    @discardableResult
    public func forgetWatches(on paths: some Sequence<String>, in watches: PathWatches) -> Int {
        // Counted as a user, as a request is: `close` waits before freeing the handle.
        guard let handle = acquireHandle() else { return 0 }
        defer { handle.users.subtract(1, ordering: .releasing) }
        var forgotten = 0
        for path in paths {
            let rc = zoo_remove_watches(handle.raw, path, ZWATCHTYPE_ANY, pathWatcher, context(watches.id), 1)
            if rc == ZOK.rawValue { forgotten += 1 }
        }
        return forgotten
    }
}

public import Logging
public import ZooKeeper
import Synchronization

/// A watched copy of one folder's children and their data (an informer): reconcilers read it
/// instead of asking ZooKeeper for every key.
///
/// Each child is watched through `watchData`, which re-reads after every event and after a session
/// expiry, so the cache converges on the latest state; after an expiry every key is also emitted
/// again, so every key is reconciled again.
public final class ZNodeCache: KeySource, Sendable {
    public let zk: ZooKeeperClient
    public let folder: String
    let logger: Logger

    private struct State {
        var nodes: [String: NodeSnapshot] = [:]
        var watchers: [String: Task<Void, Never>] = [:]
        var synced = false
        var syncWaiters: [CheckedContinuation<Void, Never>] = []
        var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
        var nextSubscriber = 0
        /// Children listed but whose data has not arrived yet.
        var pending: Set<String> = []
        var listed = false
    }

    private let state = Mutex(State())

    public init(zk: ZooKeeperClient, folder: String, logger: Logger = Logger(label: "atlantis.cache")) {
        self.zk = zk
        self.folder = folder
        self.logger = logger
    }

    public func snapshot(_ key: String) -> NodeSnapshot? {
        state.withLock { $0.nodes[key] }
    }

    public func allKeys() -> [String] {
        state.withLock { Array($0.nodes.keys) }
    }

    public var count: Int { state.withLock { $0.nodes.count } }

    public func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let id = state.withLock { s in
            let id = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func waitUntilSynced() async throws {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.synced { return true }
                s.syncWaiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    /// Watches until cancelled. Creates the folder if it does not exist.
    public func run() async {
        let sessionTask = Task { [zk] in
            var expired = false
            for await event in zk.sessionEvents() {
                switch event {
                case .expired: expired = true
                case .connected:
                    if expired {
                        expired = false
                        self.logger.info("cache.resync_after_expiry", metadata: ["cache.folder": "\(self.folder)"])
                        self.emitAll()
                    }
                default: break
                }
            }
        }
        defer {
            sessionTask.cancel()
            let watchers = state.withLock { s in
                defer { s.watchers = [:] }
                return Array(s.watchers.values)
            }
            watchers.forEach { $0.cancel() }
            finishSubscribers()
        }
        while !Task.isCancelled {
            do {
                try await zk.ensurePath(folder)
                for try await children in zk.watchChildren(folder) {
                    update(children: Set(children))
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("cache.watch_failed", metadata: ["cache.folder": "\(folder)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func update(children: Set<String>) {
        var removed: [String] = []
        var added: [String] = []
        state.withLock { s in
            for name in s.watchers.keys where !children.contains(name) {
                s.watchers.removeValue(forKey: name)?.cancel()
                s.nodes[name] = nil
                s.pending.remove(name)
                removed.append(name)
            }
            for name in children where s.watchers[name] == nil {
                added.append(name)
                s.pending.insert(name)
            }
            s.listed = true
        }
        for name in added {
            let path = "\(folder)/\(name)"
            let task = Task { [zk] in
                do {
                    for try await snapshot in zk.watchData(path) {
                        self.store(name, snapshot)
                    }
                } catch {}
            }
            state.withLock { s in
                if s.pending.contains(name) || s.nodes[name] != nil { s.watchers[name] = task } else { task.cancel() }
            }
        }
        removed.forEach(emit)
        markSyncedIfReady()
    }

    private func store(_ name: String, _ snapshot: NodeSnapshot?) {
        let changed = state.withLock { s -> Bool in
            guard s.watchers[name] != nil || s.pending.contains(name) else { return false }
            s.pending.remove(name)
            let old = s.nodes[name]
            s.nodes[name] = snapshot
            return old != snapshot
        }
        if changed { emit(name) }
        markSyncedIfReady()
    }

    private func markSyncedIfReady() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.synced, s.listed, s.pending.isEmpty else { return [] }
            s.synced = true
            defer { s.syncWaiters = [] }
            return s.syncWaiters
        }
        waiters.forEach { $0.resume() }
    }

    private func emit(_ key: String) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for s in subscribers { s.yield(key) }
    }

    private func emitAll() {
        let (keys, subscribers) = state.withLock { (Array($0.nodes.keys), Array($0.subscribers.values)) }
        for s in subscribers { for key in keys { s.yield(key) } }
    }

    private func finishSubscribers() {
        let subscribers = state.withLock { s in
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        subscribers.forEach { $0.finish() }
    }
}

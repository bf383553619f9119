import DequeModule
public import Logging
import Synchronization
import ZKModel
public import ZooKeeper

/// A watched copy of one folder's children and their data (an informer): reconcilers read it
/// instead of asking ZooKeeper for every key.
///
/// The children list is a `watchChildren` stream; each child holds one one-shot data watch whose
/// callback only marks the child for a re-read by one refresh loop (no task per child). A watch
/// ended by a session expiry marks its child too, and after a reconnect or a renewal every key
/// is emitted again, so every key is reconciled again.
public final class ZNodeCache: KeySource, Informer, Sendable {
    public let zk: ZooKeeperClient
    public let folder: String
    let logger: Logger
    /// Reads in flight at once when many children need (re)reading.
    let readConcurrency: Int
    /// Fault injection for tests: runs after a child's read returns, before it is stored (to make
    /// two reads of one child finish out of order).
    let afterRead: @Sendable (_ name: String, _ data: [UInt8]) async -> Void
    /// What is kept of each version read, before it is stored, given what is stored of the node
    /// now (nil: nothing): a reader that needs a few fields of large nodes can keep those alone (a
    /// router keeps each instance report's routing fields, packed, and the last valid ones when a
    /// version does not parse). nil (the default): every version whole, with no look at what is
    /// stored.
    let keep: (@Sendable (_ name: String, _ node: NodeSnapshot, _ stored: NodeSnapshot?) -> NodeSnapshot)?
    /// The set the children's watches are armed in when the caller owns it (`sharedWatches`),
    /// else nil: the cache makes its own and ends it when it stops. Either way a cache that
    /// stops drops the watches it left armed from the client (`ZooKeeperClient.forgetWatches`).
    let sharedWatches: PathWatches?
    /// `<folder>/`: what a fired watch's path starts with (the child's name follows).
    let childPrefix: String
    /// For a reader whose `keep` writes each version's data version and `mzxid` into the bytes it
    /// keeps: reads them back (nil: bytes that hold none). A node whose stat is those alone and
    /// whose bytes hold them is held as its bytes, with no object beside them (48 bytes less a
    /// node: 2.4 MB at 50,000 instance reports).
    let packedStat: (@Sendable ([UInt8]) -> Stat?)?

    /// A node held by reference: the dictionary has up to twice as many buckets as nodes, and a
    /// snapshot inline (its stat) made each bucket ~100 bytes (12.6 MiB at 50,000 nodes). A node
    /// whose stat is `versionsOnly` (what `keep` returns for a reader that needs no more) is held
    /// without the 60 bytes of zeros: 48 bytes an object instead of 112.
    private enum Node: Sendable {
        case whole(Whole)
        case versions(Versions)
        /// Bytes that hold their own stat (`packedStat`).
        case packed([UInt8])

        final class Whole: Sendable {
            let snapshot: NodeSnapshot
            init(_ snapshot: NodeSnapshot) { self.snapshot = snapshot }
        }

        final class Versions: Sendable {
            let data: [UInt8]
            let mzxid: Int64
            let version: Int32
            init(_ snapshot: NodeSnapshot) {
                data = snapshot.data
                mzxid = snapshot.stat.mzxid
                version = snapshot.stat.version
            }
        }

        init(_ snapshot: NodeSnapshot, packedStat: (@Sendable ([UInt8]) -> Stat?)?) {
            if !snapshot.stat.isVersionsOnly {
                self = .whole(Whole(snapshot))
            } else if let packedStat, packedStat(snapshot.data) == snapshot.stat {
                self = .packed(snapshot.data)
            } else {
                self = .versions(Versions(snapshot))
            }
        }

        func snapshot(_ packedStat: (@Sendable ([UInt8]) -> Stat?)?) -> NodeSnapshot {
            switch self {
            case .whole(let node): return node.snapshot
            case .versions(let node):
                var stat = Stat.zero
                stat.mzxid = node.mzxid
                stat.version = node.version
                return NodeSnapshot(data: node.data, stat: stat)
            case .packed(let bytes): return NodeSnapshot(data: bytes, stat: packedStat?(bytes) ?? .zero)
            }
        }

        func mzxid(_ packedStat: (@Sendable ([UInt8]) -> Stat?)?) -> Int64 {
            switch self {
            case .whole(let node): node.snapshot.stat.mzxid
            case .versions(let node): node.mzxid
            case .packed(let bytes): packedStat?(bytes)?.mzxid ?? 0
            }
        }
    }

    private struct State {
        /// Every listed child, with its node once read (nil: listed, not read or absent). One
        /// dictionary for both: a set of the names beside it was 2 MiB more at 50,000 children.
        var nodes = DenseDictionary<String, Node?>()
        /// How many of `nodes` are read (non-nil): `count`, asked at every table change.
        var stored = 0
        /// Children marked for a read and not yet read.
        var pending: Set<String> = []
        /// The marked children in the order they were marked, for the refresh loop to take.
        var queue = Deque<String>()
        /// The most `queue` has held since it was made: the room it keeps.
        var queueRoom = 0

        /// The next child to read, if any. A deque keeps its room when emptied: the first reading
        /// of a large folder queues every child at once (~1.2 MB at 50,000 children, which an
        /// `AsyncStream` of names kept for the cache's life), so an emptied queue that grew
        /// large is given back.
        mutating func nextQueued() -> String? {
            if let name = queue.popFirst() { return name }
            if queueRoom > 1024 { (queue, queueRoom) = ([], 0) }
            return nil
        }

        /// Takes `name` off `pending`. A set keeps its buckets when emptied: the first reading of
        /// a large folder marks every child at once (2 MiB of buckets at 50,000 children), so
        /// an emptied set that grew large is given back.
        mutating func unmark(_ name: String) {
            pending.remove(name)
            if pending.isEmpty, pending.capacity > 1024 { pending = [] }
        }
        var listed = false
        /// Bumped by every change of a node (stored, changed or removed).
        var revision = 0
        /// The last changes, each with the revision it made: what changed since a revision.
        var log = Deque<(revision: Int, key: String)>()
        /// How many changes `changedKeys(since:)` can go back (0: none kept).
        var logLength = 0

        mutating func changed(_ key: String) {
            revision += 1
            guard logLength > 0 else { return }
            log.append((revision, key))
            if log.count > logLength { log.removeFirst() }
        }
        var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
        var nextSubscriber = 0
    }

    private let state = Mutex(State())
    private let syncGate = SyncLatch()
    /// Wakes the refresh loop when children were queued (at most one wake-up waits).
    private let refresh: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    public init(
        zk: ZooKeeperClient,
        folder: String,
        readConcurrency: Int = 32,
        changeLogLength: Int = 0,
        logger: Logger = Logger(label: "atlantis.cache"),
        afterRead: @escaping @Sendable (_ name: String, _ data: [UInt8]) async -> Void = { _, _ in },
        keep: (@Sendable (_ name: String, _ node: NodeSnapshot, _ stored: NodeSnapshot?) -> NodeSnapshot)? = nil,
        packedStat: (@Sendable ([UInt8]) -> Stat?)? = nil,
        sharedWatches: PathWatches? = nil
    ) {
        self.packedStat = packedStat
        self.zk = zk
        self.sharedWatches = sharedWatches
        self.childPrefix = ZNodeTree.child("", of: folder)
        self.keep = keep
        self.folder = folder
        self.readConcurrency = readConcurrency
        self.afterRead = afterRead
        self.logger = logger
        self.refresh = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.logLength = max(changeLogLength, 0) }
    }

    public func snapshot(_ key: String) -> NodeSnapshot? {
        state.withLock { $0.nodes[key]??.snapshot(packedStat) }
    }

    /// A number that changes whenever any node of the folder does: what a value derived from the
    /// whole folder can be cached by.
    public var revision: Int { state.withLock { $0.revision } }

    /// The keys that changed (stored, changed or removed) after `revision`, and the revision now;
    /// nil when more changed than the cache remembers, or it keeps no log (`changeLogLength`):
    /// then look at every key.
    public func changedKeys(since revision: Int) -> (keys: Set<String>, revision: Int)? {
        state.withLock { s in
            if s.revision == revision { return ([], revision) }
            guard revision < s.revision, let oldest = s.log.first, oldest.revision <= revision + 1 else { return nil }
            var keys: Set<String> = []
            for entry in s.log.reversed() {
                if entry.revision <= revision { break }
                keys.insert(entry.key)
            }
            return (keys, s.revision)
        }
    }

    public func allKeys() -> [String] {
        state.withLock { s in s.nodes.compactMap { $0.value == nil ? nil : $0.key } }
    }

    /// Every key with its node's `mzxid`.
    public func keysByRecency() -> [(key: String, recency: Int64)] {
        state.withLock { s in s.nodes.compactMap { key, node in node.map { (key, $0.mzxid(packedStat)) } }
        }
    }

    public var count: Int { state.withLock { $0.stored } }

    /// The room the set of children marked for a read holds (for tests).
    var pendingCapacity: Int { state.withLock { $0.pending.capacity } }

    /// The room the queue of children to read keeps (for tests).
    var queueRoom: Int { state.withLock { $0.queueRoom } }

    /// How many nodes are held as their bytes alone (`packedStat`; for tests).
    var packedCount: Int {
        state.withLock { s in
            s.nodes.values.count { node in
                if case .packed = node { true } else { false }
            }
        }
    }

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

    public func waitUntilSynced() async throws { try await syncGate.wait() }

    /// Waits until `key`'s snapshot satisfies `condition` (e.g. shows a write just made), at most
    /// `timeout`. Returns whether it did.
    public func wait(
        for key: String,
        timeout: Duration,
        until condition: @escaping @Sendable (NodeSnapshot?) -> Bool
    ) async -> Bool {
        let stream = changes()  // subscribed before the first look: no change slips between
        if condition(snapshot(key)) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await changed in stream where changed == key {
                    if condition(self.snapshot(key)) { return true }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let result = await group.next() ?? false
            group.cancelAll()
            return result
        }
    }

    /// Watches until cancelled. Creates the folder if it does not exist.
    public func run() async {
        // The children's watches, one registration for all: a watch that fires marks its child
        // for a read; all of a session's ended at once mark every child. Ended when the cache
        // stops (unless shared), so caches made again and again (one per leadership term) leave
        // no callbacks.
        let watches = sharedWatches ?? PathWatches { [weak self] path, _ in self?.watchFired(path) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchSession() }
            group.addTask { await self.refreshLoop(watches) }
            await self.watchFolder()
            group.cancelAll()
        }
        refresh.continuation.finish()
        // Every read has returned (its watch armed): the watches still armed leave the client's
        // tables, where they would stay until their nodes change (at 50,000 children ~6 MiB of
        // a dashboard's view that stopped, or of each past leadership term's caches).
        let names = state.withLock { Array($0.nodes.keys) }
        zk.forgetWatches(on: names.lazy.map { ZNodeTree.child($0, of: self.folder) }, in: watches)
        if sharedWatches == nil { watches.cancel() }
        finishSubscribers()
    }

    /// What a children's watch does when it fires: marks its child for a read (`path` nil: the
    /// session's watches ended, every child). For the handler of a set the caller owns
    /// (`sharedWatches`); caches that share one set run one at a time (a cache that stops
    /// forgets the set's watches on its children, whichever cache armed them).
    public func watchFired(_ path: String?) {
        guard let path else { return markAll() }
        if path.hasPrefix(childPrefix) { mark(String(path.dropFirst(childPrefix.count))) }
    }

    private func watchFolder() async {
        while !Task.isCancelled {
            do {
                try await zk.ensurePath(folder)
                for try await children in zk.watchChildren(folder) {
                    update(children: children)
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("cache.watch_failed", metadata: ["cache.folder": "\(folder)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// After a reconnect or a session renewal, every key is emitted again: whatever an agent
    /// was doing when the connection dropped is reconciled once more.
    private func watchSession() async {
        var interrupted = false
        for await event in zk.sessionEvents() {
            switch event {
            case .expired, .suspended: interrupted = true
            case .connected where interrupted:
                interrupted = false
                logger.info("cache.resync_after_reconnect", metadata: ["cache.folder": "\(folder)"])
                emitAll()
            default: break
            }
        }
    }

    private func refreshLoop(_ watches: PathWatches) async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await _ in refresh.stream {
                while let name = state.withLock({ $0.nextQueued() }) {
                    if running >= readConcurrency {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask { await self.read(name, watches: watches) }
                }
            }
        }
    }

    private func markAll() {
        for name in state.withLock({ Array($0.nodes.keys) }) { mark(name) }
    }

    private func mark(_ name: String) {
        let isNew = state.withLock { s -> Bool in
            guard s.nodes[name] != nil, s.pending.insert(name).inserted else { return false }
            s.queue.append(name)
            s.queueRoom = max(s.queueRoom, s.queue.count)
            return true
        }
        if isNew { refresh.continuation.yield() }
    }

    private func read(_ name: String, watches: PathWatches) async {
        let path = ZNodeTree.child(name, of: folder)
        let still = state.withLock { s -> Bool in
            s.unmark(name)
            return s.nodes[name] != nil
        }
        guard still else { return }
        var delay = Duration.milliseconds(50)
        while !Task.isCancelled {
            do {
                let (data, stat) = try await zk.getData(path, watches: watches)
                await afterRead(name, data)
                let node = NodeSnapshot(data: data, stat: stat)
                store(name, keep.map { $0(name, node, snapshot(name)) } ?? node)
                return
            } catch let error as ZooKeeperError where error.code == .noNode {
                // Deleted, and perhaps created again under the same name before the children
                // list is read again (which then looks unchanged): a watch on its existence
                // brings the new one in.
                if await watchExistence(name, path: path, watches: watches) { return }
            } catch {
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    /// After a read found no node: true when it is absent with a watch armed for its creation
    /// (and stored as absent); false when it exists again and should be read at once.
    private func watchExistence(_ name: String, path: String, watches: PathWatches) async -> Bool {
        do {
            let stat = try await zk.exists(path, watches: watches)
            if stat != nil { return false }
            store(name, nil)
            return true
        } catch {
            try? await Task.sleep(for: .milliseconds(50))
            return false
        }
    }

    private func update(children: [String]) {
        let listed = Set(children)
        let (removed, added) = state.withLock { s -> ([String], [String]) in
            let removed = s.nodes.keys.filter { !listed.contains($0) }
            let added = children.filter { s.nodes[$0] == nil }
            // A first listing (or a large one) at its size: later single ones grow the tables.
            if added.count >= 1024 { s.nodes.reserveCapacity(s.nodes.count + added.count) }
            for name in added { s.nodes[name] = .some(nil) }
            for name in removed {
                if case .some(.some) = s.nodes.removeValue(forKey: name) { s.stored -= 1 }
                s.unmark(name)
                s.changed(name)
            }
            s.listed = true
            return (Array(removed), Array(added))
        }
        added.forEach(mark)
        removed.forEach(emit)
        markSyncedIfReady()
    }

    private func store(_ name: String, _ snapshot: NodeSnapshot?) {
        let changed = state.withLock { s -> Bool in
            guard let stored = s.nodes[name] else { return false }
            let old = stored?.snapshot(packedStat)
            // Two reads of one child can finish out of order: the older never replaces the newer.
            if let old, let snapshot, snapshot.stat.mzxid < old.stat.mzxid { return false }
            s.nodes[name] = .some(snapshot.map { Node($0, packedStat: packedStat) })
            s.stored += (snapshot == nil ? 0 : 1) - (old == nil ? 0 : 1)
            if old != snapshot { s.changed(name) }
            return old != snapshot
        }
        if changed { emit(name) }
        markSyncedIfReady()
    }

    private func markSyncedIfReady() {
        guard !syncGate.isOpen else { return }  // once open, no scan of the children per change
        let ready = state.withLock { s in
            s.listed && s.pending.isEmpty && s.stored == s.nodes.count
        }
        if ready { syncGate.open() }
    }

    private func emit(_ key: String) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for s in subscribers { s.yield(key) }
    }

    private func emitAll() {
        let (keys, subscribers) = state.withLock { s in
            (s.nodes.compactMap { $0.value == nil ? nil : $0.key }, Array(s.subscribers.values))
        }
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

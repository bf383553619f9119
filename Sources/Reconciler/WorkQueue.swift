import DequeModule

/// Keys waiting to be reconciled: a dirty set and a processing set, as in client-go.
///
/// Adding a key that is already waiting does nothing (events coalesce). A key being processed is
/// never handed out twice: if it changes meanwhile it is queued again when `done` is called.
/// Keys of a periodic resync wait in a background lane, handed out only when no event's key
/// waits: a resync of 1,000 keys never delays the one key that just changed.
public actor WorkQueue {
    private var queue = Deque<String>()
    /// The background lane (resyncs); a key in it that an event adds is moved to the front lane.
    private var background = Deque<String>()
    private var inBackground = Set<String>()
    private var dirty = Set<String>()
    private var processing = Set<String>()
    private var waiters = Deque<CheckedContinuation<String?, Never>>()
    private var delayed: [String: (due: ContinuousClock.Instant, task: Task<Void, Never>)] = [:]
    private var shuttingDown = false

    public init() {}

    /// Keys waiting (not counting those being processed).
    public var depth: Int { queue.count + inBackground.count }
    public var processingCount: Int { processing.count }
    public var isShuttingDown: Bool { shuttingDown }

    public func add(_ key: String) {
        guard !shuttingDown else { return }
        if inBackground.remove(key) != nil {
            // Waiting in the background lane (so no worker waits): moved ahead; its entry there
            // is skipped when reached.
            queue.append(key)
            return
        }
        guard !dirty.contains(key) else { return }
        dirty.insert(key)
        if processing.contains(key) { return }
        hand(key)
    }

    /// Adds `key` in the background lane: handed out only once no other key waits.
    public func addBackground(_ key: String) {
        guard !shuttingDown, !dirty.contains(key) else { return }
        dirty.insert(key)
        if processing.contains(key) { return }
        hand(key, background: true)
    }

    /// Adds `key` after `delay`; an earlier pending delay for the same key wins.
    public func add(_ key: String, after delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else {
            add(key)
            return
        }
        let due = ContinuousClock.now + delay
        if let pending = delayed[key], pending.due <= due { return }
        delayed[key]?.task.cancel()
        let task = Task { [weak self] in
            guard (try? await Task.sleep(until: due, clock: .continuous)) != nil else { return }
            await self?.fireDelayed(key, due: due)
        }
        delayed[key] = (due, task)
    }

    private func fireDelayed(_ key: String, due: ContinuousClock.Instant) {
        guard let pending = delayed[key], pending.due == due else { return }
        delayed[key] = nil
        add(key)
    }

    /// The next key to reconcile; nil once the queue is shut down and drained.
    public func next() async -> String? {
        if let key = queue.popFirst() {
            dirty.remove(key)
            processing.insert(key)
            return key
        }
        while let key = background.popFirst() {
            guard inBackground.remove(key) != nil else { continue }  // moved ahead meanwhile
            dirty.remove(key)
            processing.insert(key)
            return key
        }
        if shuttingDown { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Marks `key` processed; re-queues it if it changed while it was being processed.
    public func done(_ key: String) {
        processing.remove(key)
        if dirty.contains(key) && !shuttingDown { hand(key) }
    }

    /// Stops handing out new keys: waiting workers get nil. Keys being processed finish.
    public func shutDown() {
        shuttingDown = true
        for (_, pending) in delayed { pending.task.cancel() }
        delayed = [:]
        queue.removeAll()
        background.removeAll()
        inBackground.removeAll()
        dirty.removeAll()
        while let waiter = waiters.popFirst() { waiter.resume(returning: nil) }
    }

    /// To a waiting worker at once, else into its lane.
    private func hand(_ key: String, background: Bool = false) {
        if let waiter = waiters.popFirst() {
            dirty.remove(key)
            processing.insert(key)
            waiter.resume(returning: key)
        } else if background {
            self.background.append(key)
            inBackground.insert(key)
        } else {
            queue.append(key)
        }
    }
}

import DequeModule

/// Keys waiting to be reconciled: a dirty set and a processing set, as in client-go.
///
/// Adding a key that is already waiting does nothing (events coalesce). A key being processed is
/// never handed out twice: if it changes meanwhile it is queued again when `done` is called.
public actor WorkQueue {
    private var queue = Deque<String>()
    private var dirty = Set<String>()
    private var processing = Set<String>()
    private var waiters = Deque<CheckedContinuation<String?, Never>>()
    private var delayed: [String: (due: ContinuousClock.Instant, task: Task<Void, Never>)] = [:]
    private var shuttingDown = false

    public init() {}

    /// Keys waiting (not counting those being processed).
    public var depth: Int { queue.count }
    public var processingCount: Int { processing.count }
    public var isShuttingDown: Bool { shuttingDown }

    public func add(_ key: String) {
        guard !shuttingDown, !dirty.contains(key) else { return }
        dirty.insert(key)
        if processing.contains(key) { return }
        hand(key)
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
        dirty.removeAll()
        while let waiter = waiters.popFirst() { waiter.resume(returning: nil) }
    }

    private func hand(_ key: String) {
        if let waiter = waiters.popFirst() {
            dirty.remove(key)
            processing.insert(key)
            waiter.resume(returning: key)
        } else {
            queue.append(key)
        }
    }
}
